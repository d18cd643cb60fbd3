"""A stateful, checkpointed job fed by a socket receiver and by files moved into a watched
directory, for the test that kills both workers holding a batch's received blocks: running
word counts (``stateful_file_job``) whose state is encoded only every 300 s, so a state
partition lost with a worker is computed again from the lineage since the first batch,
received blocks included.  The write-ahead log is on unless the last argument is ``false``.

A task that meets the word SLOW1 leaves a marker and waits until the test creates
``SLOW1-go``: the batches after its own, whose blocks the receiver has already handed over,
wait behind it.  Every start of the receiver appends its worker's address and pid to the
places file, the job writes every worker's pid by address to ``<places>.workers``, and the
socket stream's record count of every batch generated to ``<places>.batches``."""

import json
import os
import sys

from stateful_file_job import write_running_counts
from stateful_receiver_job import ReceiverPlaces, pause_until_told

from ember import SparkConf, SparkContext
from ember.streaming import StreamingContext, StreamingListener

STATE_CHECKPOINT_SECONDS = 300


class SocketRecords(StreamingListener):
    def __init__(self, path: str):
        self.path = path

    def onBatchSubmitted(self, batchSubmitted):
        inputs = batchSubmitted.batchInfo().streamIdToInputInfo()
        with open(self.path, "a") as out:
            out.write(f"{inputs[0].numRecords() if 0 in inputs else 0}\n")


def main() -> None:
    port, watched, checkpoint, markers, output, places, write_ahead_log = sys.argv[1:8]
    conf = SparkConf().set("spark.streaming.receiver.writeAheadLog.enable", write_ahead_log)
    sc = SparkContext(appName="dask-received-blocks-lost", conf=conf)
    with open(places + ".workers", "w") as out:
        json.dump(sc.executor.client.run(os.getpid), out)
    ssc = StreamingContext(sc, 1)
    ssc.checkpoint(checkpoint)
    ssc.addStreamingListener(ReceiverPlaces(sc, places))
    ssc.addStreamingListener(SocketRecords(places + ".batches"))

    lines = ssc.socketTextStream("127.0.0.1", int(port)).union(ssc.textFileStream(watched))
    write_running_counts(
        lines, lambda name: pause_until_told(markers, name), output, STATE_CHECKPOINT_SECONDS
    )
    ssc.start()
    ssc.awaitTermination()


if __name__ == "__main__":
    main()
