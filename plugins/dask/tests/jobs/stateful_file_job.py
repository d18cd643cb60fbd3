"""A stateful, checkpointed streaming job for the worker-loss test: running word counts
(updateStateByKey) of the files moved into a watched directory, the state written as JSON
after every batch.  A task that meets the word SLOW1 (while splitting words) or the state
key SLOW2 (while reading the state) leaves a marker file named after its worker's pid and
sleeps, once, so that the test can SIGKILL that worker in the middle of a batch."""

import json
import os
import sys
import time

from ember import SparkContext
from ember.streaming import StreamingContext


def pause_once(markers: str, name: str) -> None:
    if not any(entry.startswith(name) for entry in os.listdir(markers)):
        with open(os.path.join(markers, f"{name}-{os.getpid()}"), "w"):
            pass
        time.sleep(5)


def write_running_counts(lines, pause, output: str, state_checkpoint_s: int | None = None) -> None:
    """Running word counts of ``lines``, written as JSON to ``output`` after every batch;
    ``pause(name)`` is called by the task that meets SLOW1 (splitting) or SLOW2 (the state).
    The state is encoded every ``state_checkpoint_s`` (default: updateStateByKey's)."""

    def split(line):
        if "SLOW1" in line:
            pause("SLOW1")
        return line.split()

    def read_state(pair):
        if pair[0] == "SLOW2":
            pause("SLOW2")
        return pair

    counts = (
        lines.flatMap(split)
        .map(lambda word: (word, 1))
        .updateStateByKey(lambda new, old: sum(new) + (old or 0))
    )
    if state_checkpoint_s is not None:
        counts.checkpoint(state_checkpoint_s)

    def write(rdd):
        staging = output + ".tmp"
        with open(staging, "w") as out:
            json.dump(dict(rdd.collect()), out)
        os.replace(staging, output)

    counts.map(read_state).foreachRDD(write)


def main() -> None:
    watched, checkpoint, markers, output = sys.argv[1:5]
    sc = SparkContext(appName="dask-worker-loss")
    ssc = StreamingContext(sc, 1)
    ssc.checkpoint(checkpoint)

    write_running_counts(ssc.textFileStream(watched), lambda name: pause_once(markers, name), output)
    ssc.start()
    ssc.awaitTermination()


if __name__ == "__main__":
    main()
