"""Many new files in one batch: how the batch time grows with the number of files (tasks).

``textFileStream`` makes one partition, so one task, per new file.  The files (10 lines each)
are written after the stream is created and dated 1.5 s back, so the first batch selects them
all at once; a word count (flatMap, map, reduceByKey) is collected and the batch's
processing delay is what the listener reports.  A fresh process per measurement:

    python -m bench.file_batch COUNT [MASTER]      # prints one JSON line
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time

from bench.functions import add, split_line, to_pair
from bench.streaming import _context, load_api

LINES_PER_FILE = 10


def write_files(directory: str, count: int, mtime_s: float) -> int:
    """``count`` files of ``LINES_PER_FILE`` lines, all modified at ``mtime_s``; their words."""
    words = 0
    for number in range(count):
        path = os.path.join(directory, f"part-{number:06d}.txt")
        lines = [
            f"file{number} line{line} word{line % 7} word{number % 13}" for line in range(LINES_PER_FILE)
        ]
        with open(path, "w") as handle:
            handle.write("\n".join(lines) + "\n")
        os.utime(path, (mtime_s, mtime_s))
        words += sum(len(line.split(" ")) for line in lines)
    return words


def measure(count: int, master: str = "local[2]") -> dict:
    api = load_api("ember")
    with tempfile.TemporaryDirectory(prefix="ember-bench-files-") as directory:
        sc, ssc, listener = _context(api, master, "bench-files", 1.0)
        counted: list[int] = []
        lines = ssc.textFileStream(directory)
        lines.flatMap(split_line).map(to_pair).reduceByKey(add).foreachRDD(
            lambda rdd: counted.append(sum(rdd.values().collect()))
        )
        words = write_files(directory, count, time.time() - 1.5)
        started = time.perf_counter()
        ssc.start()
        listener.wait_for_records(count * LINES_PER_FILE, timeout=1800)
        elapsed = time.perf_counter() - started
        ssc.stop(stopSparkContext=True)
    batches = [p for _, p in listener.batches if p]
    return {
        "files": count,
        "records": listener.records,
        "words_counted": sum(counted),
        "words_written": words,
        "batch_s": max(batches) / 1000,
        "start_to_done_s": elapsed,
    }


def main() -> None:
    count = int(sys.argv[1])
    master = sys.argv[2] if len(sys.argv) > 2 else "local[2]"
    print(json.dumps(measure(count, master)))


if __name__ == "__main__":
    main()
