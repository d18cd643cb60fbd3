"""A stateful, checkpointed streaming job fed by a socket receiver (write-ahead log on) and by
the files moved into a watched directory, for the worker-loss test: running word counts
(updateStateByKey), written as JSON after every batch.  Every start of the receiver appends
its Dask worker's address and pid to a file.  A task that meets the word SLOW1 (splitting
lines) or the state key SLOW2 (reading the state) leaves a marker named after its worker's
pid and waits, once, until the test creates ``<name>-go``: the test kills a worker while
that batch runs."""

import json
import os
import sys
import time

from ember import SparkConf, SparkContext
from ember.streaming import StreamingContext, StreamingListener

PAUSE_LIMIT_SECONDS = 120


def pause_once(markers: str, name: str) -> None:
    if any(entry.startswith(name) for entry in os.listdir(markers)):
        return
    with open(os.path.join(markers, f"{name}-{os.getpid()}"), "w"):
        pass
    deadline = time.monotonic() + PAUSE_LIMIT_SECONDS
    while not os.path.exists(os.path.join(markers, f"{name}-go")) and time.monotonic() < deadline:
        time.sleep(0.02)


class ReceiverPlaces(StreamingListener):
    def __init__(self, sc, path: str):
        self.sc, self.path = sc, path

    def onReceiverStarted(self, receiverStarted):
        address = receiverStarted.receiverInfo().executorId()
        pid = self.sc.executor.client.run(os.getpid, workers=[address])[address]
        with open(self.path, "a") as out:
            out.write(f"{address} {pid}\n")


def main() -> None:
    port, watched, checkpoint, markers, output, places = sys.argv[1:7]
    conf = SparkConf().set("spark.streaming.receiver.writeAheadLog.enable", "true")
    sc = SparkContext(appName="dask-receiver-worker-loss", conf=conf)
    ssc = StreamingContext(sc, 1)
    ssc.checkpoint(checkpoint)
    ssc.addStreamingListener(ReceiverPlaces(sc, places))

    def split(line):
        if "SLOW1" in line:
            pause_once(markers, "SLOW1")
        return line.split()

    def read_state(pair):
        if pair[0] == "SLOW2":
            pause_once(markers, "SLOW2")
        return pair

    lines = ssc.socketTextStream("127.0.0.1", int(port)).union(ssc.textFileStream(watched))
    counts = (
        lines.flatMap(split)
        .map(lambda word: (word, 1))
        .updateStateByKey(lambda new, old: sum(new) + (old or 0))
    )

    def write(rdd):
        staging = output + ".tmp"
        with open(staging, "w") as out:
            json.dump(dict(rdd.collect()), out)
        os.replace(staging, output)

    counts.map(read_state).foreachRDD(write)
    ssc.start()
    ssc.awaitTermination()


if __name__ == "__main__":
    main()
