"""The state-loss tests' job: running totals of the lines a socket receiver stores, state
checkpointed every 3 s (6 batches), recoverable with getOrCreate; a listener prints each
``onStreamingDataLost`` event as one ``DATA LOST`` line.

    python stateful_socket.py HOST PORT CHECKPOINT_DIR OUTPUT_DIR wal|nowal
"""

import sys

from ember import SparkConf, SparkContext
from ember.streaming import StreamingContext
from ember.streaming.listener import StreamingListener

host, port, checkpoint_dir, output_dir, wal = (
    sys.argv[1],
    int(sys.argv[2]),
    sys.argv[3],
    sys.argv[4],
    sys.argv[5],
)


class DataLossPrinter(StreamingListener):
    def onStreamingDataLost(self, lost):
        info = lost.dataLossInfo()
        times = [t.milliseconds() for t in info.batchTimes()]
        print(f"DATA LOST stream={info.streamId()} times={times} setting={info.setting()}", flush=True)


class PySparkStyleListener:
    """Written for PySpark: it has no onStreamingDataLost, and must keep working."""

    def onBatchCompleted(self, completed):
        pass


def add_to_total(new_values, total):
    return sum(new_values) + (total or 0)


def setup():
    conf = SparkConf().set("spark.streaming.receiver.writeAheadLog.enable", str(wal == "wal").lower())
    sc = SparkContext("local[1]", "stateful-socket", conf=conf)
    ssc = StreamingContext(sc, 0.5)
    ssc.checkpoint(checkpoint_dir)
    totals = ssc.socketTextStream(host, port).map(lambda line: (line, 1)).updateStateByKey(add_to_total)
    totals.checkpoint(3)
    totals.saveAsTextFiles(f"{output_dir}/totals")
    return ssc


ssc = StreamingContext.getOrCreate(checkpoint_dir, setup)
ssc.addStreamingListener(PySparkStyleListener())
ssc.addStreamingListener(DataLossPrinter())
ssc.start()
ssc.awaitTermination()
