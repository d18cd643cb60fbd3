"""A replayable source's batches are read where their tasks run: in the Dask workers, never
in the driver.  The files source of ``textFileStream`` is wrapped so that each ``read`` of a
position range leaves a mark named after the reading process."""

from __future__ import annotations

import os
import sys

import cloudpickle

from ember import SparkConf, SparkContext
from ember.plugins import ReplayableSource
from ember.plugins.testing import wait_until
from ember.streaming import StreamingContext
from ember.testing import collect_outputs

cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers do not import tests


class MarkedReads(ReplayableSource):
    """The files source, with a mark per range read: ``<pid>-<file name>``."""

    def __init__(self, inner: ReplayableSource, marks: str):
        self.inner, self.marks = inner, marks

    def start(self, context):
        self.inner.start(context)

    def stop(self):
        self.inner.stop()

    def partitions(self):
        return self.inner.partitions()

    def next_ranges(self, time_ms, max_records_per_partition):
        return self.inner.next_ranges(time_ms, max_records_per_partition)

    def read(self, position_range):
        name = os.path.basename(position_range.partition)
        with open(os.path.join(self.marks, f"{os.getpid()}-{name}"), "w"):
            pass
        return self.inner.read(position_range)


def test_a_replayable_sources_ranges_are_read_in_the_dask_workers(tmp_path):
    watched, staging, marks = tmp_path / "in", tmp_path / "staging", tmp_path / "marks"
    for directory in (watched, staging, marks):
        directory.mkdir()
    conf = SparkConf().set("spark.ember.fileStream.settleTime", "0s")
    sc = SparkContext("dask-local[2]", "dask-replayable-reads", conf=conf)
    try:
        ssc = StreamingContext(sc, 0.5)
        stream = ssc.textFileStream(str(watched))
        stream.source = MarkedReads(stream.source, str(marks))
        outputs = collect_outputs(stream)
        ssc.start()
        for name, text in (("1.txt", "a\nb\n"), ("2.txt", "c\n")):
            (staging / name).write_text(text)
            os.replace(staging / name, watched / name)
        read = lambda: sorted(record for batch in list(outputs) for record in batch)  # noqa: E731
        wait_until(lambda: read() == ["a", "b", "c"], timeout=60, what="the three lines")
        ssc.stop(stopSparkContext=False)
        workers = set(sc.executor.client.run(os.getpid).values())
    finally:
        sc.stop()
    readers = {int(mark.split("-", 1)[0]) for mark in os.listdir(marks)}
    assert sorted(mark.split("-", 1)[1] for mark in os.listdir(marks)) == ["1.txt", "2.txt"]
    assert readers <= workers and os.getpid() not in readers
