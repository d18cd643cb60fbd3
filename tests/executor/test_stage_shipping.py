"""A stage's shared parts reach each worker once: what grows with the number of partitions (a
batch's file ranges, a shuffle's map outputs) is unpickled once per worker per stage, while
functions stay fresh for every task."""

from __future__ import annotations

import dataclasses
import os

import pytest
from pool_helpers import wait_until

from ember.plugins import PositionRange, ReplayableSource
from ember.streaming.source_streams import SourceRDD

PARTITIONS = 300
#: how many Markers were unpickled in this process
unpickled = 0


@dataclasses.dataclass(frozen=True)
class Marker:
    """Plain data that counts its own unpickling in the process that unpickles it."""

    number: int

    def __setstate__(self, state: dict) -> None:
        global unpickled
        unpickled += 1
        self.__dict__.update(state)


class MarkerSource(ReplayableSource):
    """Each range's start is a Marker; reading a range reports who read it and the count."""

    def partitions(self) -> list[str]:
        return ["markers"]

    def next_ranges(self, time_ms, max_records_per_partition):
        return []

    def read(self, position_range: PositionRange) -> list:
        return [(os.getpid(), position_range.start.number, unpickled)]


def marker_batch(sc) -> SourceRDD:
    ranges = [PositionRange("markers", Marker(n), n + 1) for n in range(PARTITIONS)]
    return SourceRDD(sc, MarkerSource(), ranges)


@pytest.mark.parametrize("master", ["local[2]", "local[1]"])
def test_a_many_task_stage_unpickles_its_ranges_once_per_worker(pool_context, master):
    sc = pool_context(master)
    if master == "local[2]":  # both workers started, so both take tasks of the stage
        wait_until(
            lambda: len(set(sc.parallelize(range(8), 8).map(lambda _: os.getpid()).collect())) == 2,
            what="both workers to run tasks",
        )
    already = unpickled  # local[1] unpickles in this process: count from here
    first = marker_batch(sc).collect()
    assert sorted(number for _, number, _ in first) == list(range(PARTITIONS))
    assert {count - already for _, _, count in first} == {PARTITIONS}  # one stage's worth each
    if master == "local[2]":
        assert len({pid for pid, _, _ in first}) == 2
    second = marker_batch(sc).collect()  # a new stage: its ranges travel once more
    assert {count - already for _, _, count in second} == {2 * PARTITIONS}


def test_functions_are_still_fresh_for_every_task_of_a_template_stage(pool_context):
    sc = pool_context()
    seen: list = []

    def remember(records):
        seen.extend(records)  # mutates what the closure captured: each task's own copy
        return [len(seen)]

    assert sc.parallelize(range(40), 20).mapPartitions(remember).collect() == [2] * 20
    assert seen == []


def test_a_shuffle_with_many_partitions_on_both_sides_gives_each_reducer_its_blocks(pool_context):
    sc = pool_context()
    pairs = sc.parallelize(range(2000), 400).map(lambda x: (x % 500, 1))
    counts = pairs.reduceByKey(lambda a, b: a + b, 400).collect()
    assert sorted(counts) == [(key, 4) for key in range(500)]


@dataclasses.dataclass
class Square:
    stage_id: int
    partition: int

    def run(self, context):
        return self.partition * self.partition


@dataclasses.dataclass
class Label:
    stage_id: int
    partition: int
    text: str

    def run(self, context):
        return f"{self.text}-{self.partition}"


def test_tasks_that_differ_in_more_than_their_partition_travel_one_by_one(pool_context):
    executor = pool_context()._executor
    tasks = [Square(0, 3), Label(0, 1, "a"), Label(0, 2, "b"), Square(0, 4)]
    assert [result.value for result in executor.run_tasks(tasks)] == [9, "a-1", "b-2", 16]
