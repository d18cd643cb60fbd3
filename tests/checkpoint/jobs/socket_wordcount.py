"""The write-ahead-log test's job: counts of the lines a socket receiver stores, with
``spark.streaming.receiver.writeAheadLog.enable`` on, recoverable with getOrCreate.

    python socket_wordcount.py HOST PORT CHECKPOINT_DIR OUTPUT_DIR
"""

import sys

from ember import SparkConf, SparkContext
from ember.streaming import StreamingContext

host, port, checkpoint_dir, output_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]


def add_to_total(new_values, total):
    return sum(new_values) + (total or 0)


def setup():
    conf = SparkConf().set("spark.streaming.receiver.writeAheadLog.enable", "true")
    sc = SparkContext("local[1]", "wal-wordcount", conf=conf)
    ssc = StreamingContext(sc, 0.5)
    ssc.checkpoint(checkpoint_dir)
    lines = ssc.socketTextStream(host, port)
    lines.map(lambda line: (line, 1)).updateStateByKey(add_to_total).saveAsTextFiles(f"{output_dir}/totals")
    return ssc


ssc = StreamingContext.getOrCreate(checkpoint_dir, setup)
ssc.start()
ssc.awaitTermination()
