"""The recovery test's job: counts of every record value of a topic read with the direct
stream, kept with updateStateByKey under getOrCreate; after each batch it writes the counts
and the batch's offset ranges to files named by the batch time (written aside, then renamed,
so a re-run batch replaces its own files).

    python recoverable_kafka_counts.py CHECKPOINT_DIR OUTPUT_DIR BOOTSTRAP TOPIC CLIENT
"""

import json
import os
import sys

from ember import SparkContext
from ember.streaming import StreamingContext
from ember.streaming.kafka import KafkaUtils

checkpoint_dir, output_dir, bootstrap, topic, client = sys.argv[1:6]


def write_atomically(name, data):
    path = os.path.join(output_dir, name)
    with open(path + ".tmp", "w") as out:
        json.dump(data, out)
    os.replace(path + ".tmp", path)


def note_ranges(time, rdd):
    ranges = [[r.partition, r.fromOffset, r.untilOffset] for r in rdd.offsetRanges()]
    write_atomically(f"ranges-{int(time.timestamp() * 1000)}.json", ranges)


def setup():
    ssc = StreamingContext(SparkContext("local[2]", "kafka-recovery"), 0.5)
    ssc.checkpoint(checkpoint_dir)
    stream = KafkaUtils.createDirectStream(
        ssc,
        [topic],
        {"bootstrap.servers": bootstrap, "auto.offset.reset": "smallest", "ember.kafka.client": client},
    )
    stream.foreachRDD(note_ranges)
    counts = stream.map(lambda kv: (kv[1], 1)).updateStateByKey(lambda new, total: sum(new) + (total or 0))
    counts.foreachRDD(
        lambda time, rdd: write_atomically(f"counts-{int(time.timestamp() * 1000)}.json", dict(rdd.collect()))
    )
    return ssc


ssc = StreamingContext.getOrCreate(checkpoint_dir, setup)
ssc.start()
ssc.awaitTermination()
