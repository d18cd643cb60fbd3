"""A stateful, checkpointed streaming job fed by a socket receiver (write-ahead log on) and by
the files moved into a watched directory, for the worker-loss test: running word counts
(updateStateByKey, as ``stateful_file_job``), written as JSON after every batch.  Every
start of the receiver appends its Dask worker's address and pid to a file.  A task that meets the word SLOW1 (splitting
lines) or the state key SLOW2 (reading the state) leaves a marker named after its worker's
pid and waits, once, until the test creates ``<name>-go``: the test kills a worker while
that batch runs."""

import os
import sys
import time

from stateful_file_job import write_running_counts

from ember import SparkConf, SparkContext
from ember.streaming import StreamingContext, StreamingListener

PAUSE_LIMIT_SECONDS = 120


def pause_until_told(markers: str, name: str) -> None:
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

    lines = ssc.socketTextStream("127.0.0.1", int(port)).union(ssc.textFileStream(watched))
    write_running_counts(lines, lambda name: pause_until_told(markers, name), output)
    ssc.start()
    ssc.awaitTermination()


if __name__ == "__main__":
    main()
