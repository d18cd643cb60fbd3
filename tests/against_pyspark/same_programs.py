"""The programs the PySpark comparison runs on both engines, written once against PySpark's
API: ``python same_programs.py pyspark|ember`` prints one JSON object, each value the ``repr``
of what a program produced (hash values, partition layouts, pprint's text, listener values,
the batches of a few DStream programs).  PySpark needs Java 17 and ``PYSPARK_PYTHON``."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import tempfile
import time
from operator import add

KEYS = [
    None,
    "word",
    "",
    "ünïcödé",
    "日本語",
    "\U0001f600 emoji",
    b"bytes",
    b"",
    0,
    -1,
    2**70,
    1.5,
    -0.0,
    True,
    ("a", 1),
    ("nested", ("t", None)),
    (),
    "x" * 1000,
]
PAIRS = [("a", 1), ("b", 2), ("a", 3), ("c", 4), ("d", 5), ("b", 6), ("e", 7), (8, "eight"), ((1, 2), 9)]
BATCHES = [["to be or", "not to be"], ["that is", "the question"], [], ["to be"]]
BATCHES_RECORDED = 5
BATCH_SECONDS = 0.5


def engine(name: str):
    if name == "pyspark":
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        from pyspark import SparkConf, SparkContext
        from pyspark.rdd import portable_hash
        from pyspark.streaming import StreamingContext
        from pyspark.streaming.listener import StreamingListener

        context = SparkContext(conf=SparkConf().setMaster("local[2]").setAppName("same-programs"))
        context.setLogLevel("ERROR")
    else:
        from ember import SparkContext
        from ember.serde.hashing import portable_hash
        from ember.streaming import StreamingContext
        from ember.streaming.listener import StreamingListener

        context = SparkContext("local[2]", "same-programs")
    return context, portable_hash, StreamingContext, StreamingListener


def layout(rdd) -> str:
    return repr((rdd.getNumPartitions(), rdd.glom().collect()))


def batch_programs(sc, StreamingContext, StreamingListener) -> dict[str, str]:
    """Several DStream programs in one StreamingContext, each batch's output recorded, with
    pprint's text and what a listener reads of each completed batch."""

    class Completed(StreamingListener):
        """What a listener reads (the output operations' names are call sites in PySpark,
        not compared: see docs/differences.md)."""

        def __init__(self):
            super().__init__()
            self.submitted, self.batches = [], []

        def onBatchSubmitted(self, batchSubmitted):
            info = batchSubmitted.batchInfo()
            self.submitted.append(
                (
                    info.processingStartTime(),
                    info.processingEndTime(),
                    info.schedulingDelay(),
                    info.processingDelay(),
                    info.totalDelay(),
                )
            )

        def onBatchCompleted(self, batchCompleted):
            info = batchCompleted.batchInfo()
            operations = info.outputOperationInfos()
            self.batches.append(
                (
                    info.numRecords(),
                    sorted(operations),
                    [(op.id(), op.failureReason()) for _, op in sorted(operations.items())],
                    sorted(i.numRecords() for i in info.streamIdToInputInfo().values()),
                    info.processingStartTime() >= info.submissionTime() >= 0,
                    info.processingEndTime() >= info.processingStartTime(),
                    info.totalDelay() == info.schedulingDelay() + info.processingDelay(),
                )
            )

    ssc = StreamingContext(sc, BATCH_SECONDS)
    ssc.checkpoint(tempfile.mkdtemp(prefix="same-programs-"))
    listener = Completed()
    ssc.addStreamingListener(listener)
    lines = ssc.queueStream([sc.parallelize(batch, 2) for batch in BATCHES])
    words = lines.flatMap(str.split).map(lambda word: (word, 1))
    programs = {
        "word counts": words.reduceByKey(add),
        "running totals": words.updateStateByKey(lambda new, total: sum(new) + (total or 0)),
        "windowed counts": words.reduceByKeyAndWindow(add, None, 2 * BATCH_SECONDS, BATCH_SECONDS),
        "count by value": lines.flatMap(str.split).countByValue(),
        "glom": lines.glom(),
    }
    recorded = {name: [] for name in programs}

    def recorder(name):  # nothing unpicklable: PySpark checkpoints the function
        def record(rdd):
            if len(recorded[name]) < BATCHES_RECORDED:
                recorded[name].append(sorted(rdd.collect(), key=repr))

        return record

    for name, stream in programs.items():
        stream.foreachRDD(recorder(name))
    lines.flatMap(str.split).pprint(3)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        ssc.start()
        deadline = time.monotonic() + 120  # PySpark runs on the real clock: its batches come when due
        while (
            any(len(batches) < BATCHES_RECORDED for batches in recorded.values())
            and time.monotonic() < deadline
        ):
            time.sleep(0.05)
        ssc.stop(stopSparkContext=False, stopGraceFully=False)
    pprint_blocks = [
        "\n".join(
            line if not line.startswith("Time: ") else "Time: <batch time>" for line in block.split("\n")
        )
        for block in printed.getvalue().split("\n\n")
        if block.strip()
    ]
    return {
        **{f"batches of {name}": repr(batches) for name, batches in recorded.items()},
        "pprint(3) of the first batches": repr(pprint_blocks[:BATCHES_RECORDED]),
        "listener, first submitted batches": repr(listener.submitted[:BATCHES_RECORDED]),
        "listener, first completed batches": repr(listener.batches[:BATCHES_RECORDED]),
    }


def main(engine_name: str) -> None:
    sc, portable_hash, StreamingContext, StreamingListener = engine(engine_name)
    try:
        pairs = sc.parallelize(PAIRS, 3)
        results = {
            "portable_hash": repr([portable_hash(key) for key in KEYS]),
            "partitionBy(4)": layout(pairs.partitionBy(4)),
            "reduceByKey(add, 3)": layout(
                pairs.filter(lambda kv: isinstance(kv[1], int)).reduceByKey(add, 3)
            ),
            "groupByKey(2)": layout(pairs.groupByKey(2).mapValues(list)),
            "join": layout(pairs.join(sc.parallelize([("a", "x"), ("e", "y"), ("z", "w")], 2))),
            "distinct": layout(sc.parallelize(["b", "a", "b", "c", 1, 1, None], 2).distinct()),
            **batch_programs(sc, StreamingContext, StreamingListener),
        }
    finally:
        sc.stop()
    print(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1])
