"""The ReplayableSource API on a manual clock: ranges per batch, max rate per partition,
offsetRanges(), and exact replay of recorded ranges."""

from __future__ import annotations

import sys

import cloudpickle

from ember.plugins import PositionRange, ReplayableSource, SourceKind, create_source_stream
from ember.testing import advance_batches, collect_outputs, manual_streaming_context

cloudpickle.register_pickle_by_value(sys.modules[__name__])  # tasks may run in worker processes

RATE_SETTING = "spark.streaming.test.maxRatePerPartition"


class LogSource(ReplayableSource):
    """Partitions are lists of records; a position is an index into a partition."""

    max_rate_setting = RATE_SETTING

    def __init__(self, logs: dict[str, list]):
        self.logs = logs
        self.cursor = {name: 0 for name in logs}

    def partitions(self):
        return sorted(self.logs)

    def next_ranges(self, time_ms, max_records_per_partition):
        ranges = []
        for name in self.partitions():
            start = self.cursor[name]
            end = len(self.logs[name])
            if max_records_per_partition is not None:
                end = min(end, start + max_records_per_partition)
            ranges.append(PositionRange(name, start, end))
            self.cursor[name] = end
        return ranges

    def read(self, position_range):
        return self.logs[position_range.partition][position_range.start : position_range.end]

    def restore(self, recorded):
        last = recorded[max(recorded)]
        self.cursor.update({r.partition: r.end for r in last})


def build(sc, plugins, make_plugin, source):
    plugins(logs=make_plugin("logs", ember_source_kinds=lambda: [SourceKind("logs", lambda ssc: source)]))
    ssc = manual_streaming_context(sc, batch_duration=1)
    return ssc, create_source_stream(ssc, "logs")


def test_each_batch_reads_its_ranges_bounded_by_the_max_rate(sc, plugins, make_plugin):
    sc._conf.set(RATE_SETTING, "2")
    source = LogSource({"a": list("abcde"), "b": [1, 2, 3]})
    ssc, stream = build(sc, plugins, make_plugin, source)
    outputs = collect_outputs(stream)
    seen_ranges = []
    stream.foreachRDD(
        lambda rdd: seen_ranges.append(
            [(r.partition, r.fromOffset, r.untilOffset) for r in rdd.offsetRanges()]
        )
    )
    ssc.start()
    advance_batches(ssc, 3)
    ssc.stop(stopSparkContext=False)
    sc._conf.set(RATE_SETTING, "0")
    assert outputs == [["a", "b", 1, 2], ["c", "d", 3], ["e"]]
    assert seen_ranges == [[("a", 0, 2), ("b", 0, 2)], [("a", 2, 4), ("b", 2, 3)], [("a", 4, 5), ("b", 3, 3)]]


def test_recorded_ranges_are_plain_data_and_replay_exactly(sc, plugins, make_plugin):
    logs = {"p": list(range(10))}
    ssc, stream = build(sc, plugins, make_plugin, LogSource(logs))
    outputs = collect_outputs(stream)
    ssc.start()
    advance_batches(ssc, 1)
    data = stream.recorded_data()  # what a checkpoint after the first batch holds
    [first_time] = data
    assert data[first_time] == [["p", 0, 10, None]]
    logs["p"].extend([10, 11])
    advance_batches(ssc, 1)
    ssc.stop(stopSparkContext=False)
    assert outputs == [list(range(10)), [10, 11]]
    second_time = first_time + 1000
    assert stream.compute(second_time).collect() == [10, 11]  # computed again: same range
    assert stream.num_records(second_time) == 2

    replayed_source = LogSource(logs)
    _, replayed = build(sc, plugins, make_plugin, replayed_source)
    replayed.restore_recorded(data)
    assert replayed.compute(first_time).collect() == list(range(10))
    replayed.start()
    assert replayed_source.cursor == {"p": 10}
