"""The ReplayableSource hooks that spare reads: records fetched while cutting ranges
(``prefetched``) are what the batch computes with, and backpressure shares a batch's records
by each partition's lag (``lags``) rather than evenly."""

from __future__ import annotations

import os
import sys

import cloudpickle

from ember.plugins import PositionRange, ReplayableSource
from ember.streaming.source_streams import as_input_stream
from ember.testing import advance_batches, collect_outputs, manual_streaming_context

cloudpickle.register_pickle_by_value(sys.modules[__name__])  # tasks may run in worker processes


class Log(ReplayableSource):
    """Partitions ``a`` (10 records a batch) and ``b`` (5); ``read`` leaves a mark per call in
    ``marks`` (tasks run in other processes), ``prefetched`` gives partition ``a``'s records."""

    def __init__(self, marks: str, lag: dict[str, int] | None = None):
        self.marks = marks
        self.lag = lag
        self.cursor = {"a": 0, "b": 0}
        self.asked: list = []

    def partitions(self):
        return ["a", "b"]

    def lags(self):
        return self.lag

    def next_ranges(self, time_ms, max_records_per_partition):
        self.asked.append(max_records_per_partition)
        ranges = []
        for name, per_batch in (("a", 10), ("b", 5)):
            start = self.cursor[name]
            end = start + per_batch
            if isinstance(max_records_per_partition, dict):
                end = min(end, start + max_records_per_partition[name])
            ranges.append(PositionRange(name, start, end))
            self.cursor[name] = end
        return ranges

    def prefetched(self, position_range):
        if position_range.partition == "a":
            return [f"a{i}" for i in range(position_range.start, position_range.end)]
        return None

    def read(self, position_range):
        with open(os.path.join(self.marks, f"{position_range.partition}-{position_range.start}"), "w"):
            pass
        return [f"{position_range.partition}{i}" for i in range(position_range.start, position_range.end)]


def test_records_fetched_while_cutting_ranges_are_not_read_again(sc, tmp_path):
    ssc = manual_streaming_context(sc, batch_duration=1)
    stream = as_input_stream(ssc, Log(str(tmp_path)), "a log")
    outputs = collect_outputs(stream)
    counts = collect_outputs(stream.count())
    ssc.start()
    advance_batches(ssc, 2)
    ssc.stop(stopSparkContext=False)
    assert outputs == [
        [f"a{i}" for i in range(10)] + [f"b{i}" for i in range(5)],
        [f"a{i}" for i in range(10, 20)] + [f"b{i}" for i in range(5, 10)],
    ]
    assert counts == [[15], [15]]
    assert sorted(os.listdir(tmp_path)) == ["b-0", "b-5"]  # only what was not prefetched
    assert stream.compute(2000).collect()[:2] == ["a10", "a11"]  # computed again: read again
    assert sorted(os.listdir(tmp_path)) == ["a-10", "b-0", "b-5"]


def test_backpressure_shares_a_batch_by_the_partitions_lag(local_sc, tmp_path):
    local_sc._conf.set("spark.streaming.backpressure.enabled", "true")
    local_sc._conf.set("spark.streaming.backpressure.initialRate", "8")
    ssc = manual_streaming_context(local_sc, batch_duration=1)
    source = Log(str(tmp_path), lag={"a": 3000, "b": 1000})
    outputs = collect_outputs(as_input_stream(ssc, source, "a lagging log"))
    ssc.start()
    advance_batches(ssc, 1)
    ssc.stop(stopSparkContext=False)
    assert source.asked == [{"a": 6, "b": 2}]  # 8 records: 3/4 and 1/4
    assert outputs == [[f"a{i}" for i in range(6)] + ["b0", "b1"]]
