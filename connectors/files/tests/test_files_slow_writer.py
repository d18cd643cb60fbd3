"""A writer that breaks the contract (it writes into the watched directory, slowly, instead of
moving a finished file in), against textFileStream on the real clock: each line is read once
and whole, and what cannot be read whole is reported once."""

from __future__ import annotations

import re
import subprocess
import sys
import time

from ember import SparkConf, SparkContext
from ember.plugins.testing import BatchCollector
from ember.streaming import StreamingContext

#: appends ``lines`` lines to ``path``, each in two halves with a flush after each half; with
#: ``pause_after`` it stops after that many lines until a line arrives on stdin
WRITER = r"""
import sys, time
path, lines, pause_after = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(path, "a") as out:
    for number in range(lines):
        if number == pause_after:
            print("paused", flush=True)
            sys.stdin.readline()
        out.write(f"line {number:03d} of a slow ")
        out.flush()
        time.sleep(0.004)
        out.write("writer\n")
        out.flush()
        time.sleep(0.004)
"""


def expected(first: int, last: int) -> list[str]:
    return [f"line {number:03d} of a slow writer" for number in range(first, last)]


def streaming_context(remember: str, settle: str | None = None) -> StreamingContext:
    conf = SparkConf().set("spark.streaming.fileStream.minRememberDuration", remember)
    if settle is not None:
        conf.set("spark.ember.fileStream.settleTime", settle)
    return StreamingContext(SparkContext("local[2]", "slow-writer", conf=conf), 0.1)


def wait_past(seen: BatchCollector, moment_ms: float, what: str) -> None:
    """Until a batch later than ``moment_ms`` (wall clock) has been collected."""
    seen.wait_for(
        lambda c: c.batches and c.batches[-1][0].timestamp() * 1000 > moment_ms, timeout=30, what=what
    )


def test_a_file_written_slowly_is_read_once_whole_when_it_settles(tmp_path, file_warnings):
    watched = tmp_path / "in"
    watched.mkdir()
    ssc = streaming_context(remember="3s")  # the default settle time, 1 s
    try:
        seen = BatchCollector(ssc.textFileStream(str(watched)))
        ssc.start()
        writer = subprocess.run(
            [sys.executable, "-c", WRITER, str(watched / "log.txt"), "200", "-1"],
            check=True,
            capture_output=True,
        )
        assert writer.returncode == 0
        seen.wait_for(lambda c: len(c.records) >= 200, timeout=30, what="the 200 lines")
        wait_past(seen, time.time() * 1000 + 4000, "the file's remember window to pass")
    finally:
        ssc.stop(stopSparkContext=True)
    assert seen.records == expected(0, 200)  # no half line, no line twice
    assert file_warnings() == []


def test_a_file_written_on_after_its_batch_read_it_is_reported_once_and_not_read_again(
    tmp_path, file_warnings
):
    watched = tmp_path / "in"
    watched.mkdir()
    path = watched / "log.txt"
    ssc = streaming_context(remember="2s", settle="300ms")
    try:
        seen = BatchCollector(ssc.textFileStream(str(watched)))
        ssc.start()
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), "400", "50"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert writer.stdout.readline() == "paused\n"
        seen.wait_for(lambda c: len(c.records) >= 50, timeout=30, what="the first 50 lines")
        read_size = path.stat().st_size
        writer.communicate("go on\n", timeout=60)  # 350 more lines over about 3 s
        assert writer.returncode == 0
        wait_past(seen, time.time() * 1000 + 3000, "the file's remember window to pass")
    finally:
        ssc.stop(stopSparkContext=True)
    assert seen.records == expected(0, 50)
    [warning] = file_warnings()  # the size "now" is the one the first later batch saw
    assert re.fullmatch(
        f"{re.escape(str(path))} changed after the batch at {_batch_of_first_lines(seen)} ms read it: "
        f"{read_size} bytes then, [0-9]+ now; it is not read again \\(files must be moved into "
        f"{re.escape(str(watched))} whole, by rename\\)",
        warning,
    ), warning


def _batch_of_first_lines(seen: BatchCollector) -> int:
    return next(int(batch_time.timestamp() * 1000) for batch_time, records in seen.batches if records)
