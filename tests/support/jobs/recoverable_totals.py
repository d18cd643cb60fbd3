"""The recovery tests' job: running totals of every record a connector delivers, written
with saveAsTextFiles after each batch, checkpointed, with the receiver write-ahead log on;
recoverable with getOrCreate after a SIGKILL.

    python recoverable_totals.py CHECKPOINT_DIR OUTPUT_DIR flume HOST PORT
    python recoverable_totals.py CHECKPOINT_DIR OUTPUT_DIR mqtt BROKER_URL TOPIC
    python recoverable_totals.py CHECKPOINT_DIR OUTPUT_DIR kinesis ENDPOINT_URL STREAM_NAME
"""

import sys

from ember import SparkConf, SparkContext
from ember.streaming import StreamingContext

checkpoint_dir, output_dir, kind, first, second = sys.argv[1:6]


def records_of(ssc):
    if kind == "flume":
        from ember.streaming.flume import FlumeUtils

        return FlumeUtils.createStream(ssc, first, int(second)).map(lambda event: event[1])
    if kind == "mqtt":
        from ember.streaming.mqtt import MQTTUtils

        return MQTTUtils.createStream(
            ssc, first, second, clientId="ember-recovery-test", cleanSession=False, qos=1
        )
    from ember.streaming.kinesis import InitialPositionInStream, KinesisUtils

    return KinesisUtils.createStream(
        ssc,
        "recovery-test",
        second,
        first,
        "us-east-1",
        InitialPositionInStream.TRIM_HORIZON,
        1,
        awsAccessKeyId="test-key",
        awsSecretKey="test-secret",
    )


def add_to_total(new_values, total):
    return sum(new_values) + (total or 0)


def setup():
    conf = SparkConf().set("spark.streaming.receiver.writeAheadLog.enable", "true")
    ssc = StreamingContext(SparkContext("local[2]", f"{kind}-recovery", conf=conf), 0.5)
    ssc.checkpoint(checkpoint_dir)
    totals = records_of(ssc).map(lambda record: (record, 1)).updateStateByKey(add_to_total)
    totals.saveAsTextFiles(f"{output_dir}/totals")
    return ssc


ssc = StreamingContext.getOrCreate(checkpoint_dir, setup)
ssc.start()
ssc.awaitTermination()
