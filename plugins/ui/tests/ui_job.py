"""A real streaming job for the UI tests: word counts of lines from a TCP server (a receiver),
kept with updateStateByKey, one output operation that fails on the batch holding the word
"boom", and a listener writing each batch's figures as JSON lines (what /metrics must match).

    python -m ember run ui_job.py PORT CHECKPOINT_DIR FIGURES_LOG

It stops when its stdin closes or gets a line, so a test decides how long it runs.
"""

import json
import sys

from ember import SparkContext
from ember.streaming import StreamingContext
from ember.streaming.listener import StreamingListener


class FiguresLog(StreamingListener):
    """One JSON line per completed batch, flushed before the next listener hears of it."""

    def __init__(self, path):
        self.file = open(path, "a", buffering=1, encoding="utf-8")

    def onBatchCompleted(self, batchCompleted):
        info = batchCompleted.batchInfo()
        self.file.write(
            json.dumps(
                {
                    "batch": info.batchTime().milliseconds(),
                    "records": info.numRecords(),
                    "failed": any(op.failureReason() for op in info.outputOperationInfos().values()),
                    "processing_ms": info.processingDelay(),
                    "scheduling_ms": info.schedulingDelay(),
                    "by_stream": {str(i): inp.numRecords() for i, inp in info.streamIdToInputInfo().items()},
                }
            )
            + "\n"
        )


def check_no_boom(rdd):
    if "boom" in rdd.collect():
        raise ValueError("the job's check found 'boom' in this batch")


def add_counts(new_values, count):
    return sum(new_values) + (count or 0)


def main():
    port, checkpoint_dir, figures_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    sc = SparkContext(appName="ui-test-job")
    ssc = StreamingContext(sc, 0.5)
    ssc.checkpoint(checkpoint_dir)
    ssc.addStreamingListener(FiguresLog(figures_path))
    words = ssc.socketTextStream("127.0.0.1", port).flatMap(str.split)
    # the state is encoded, and so measured, at its checkpoint times: every second here
    counts = words.map(lambda word: (word, 1)).updateStateByKey(add_counts).checkpoint(1)
    counts.foreachRDD(lambda rdd: None)
    words.foreachRDD(check_no_boom)
    ssc.start()
    sys.stdin.readline()
    ssc.stop(stopSparkContext=True, stopGraceFully=False)


if __name__ == "__main__":
    main()
