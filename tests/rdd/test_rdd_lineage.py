"""What the executor is asked to run: narrow steps fused into one task per partition, and one
shuffle-map stage per shuffle the operation needs (no more)."""

from operator import add

import pytest
from rdd_layout import PAIRS

from ember.rdd.lineage import ParallelCollectionRDD, PipelinedRDD
from ember.rdd.scheduler import ShuffleMapTask


@pytest.fixture
def stages(sc, monkeypatch):
    """Every stage the next jobs run, as (kind of task, number of tasks)."""
    seen = []
    run_tasks = sc._executor.run_tasks

    def spy(tasks):
        seen.append(("shuffle" if isinstance(tasks[0], ShuffleMapTask) else "result", len(tasks)))
        return run_tasks(tasks)

    monkeypatch.setattr(sc._executor, "run_tasks", spy)
    return seen


def test_narrow_steps_fuse_into_one_pipeline(sc):
    source = sc.parallelize(PAIRS, 3)
    narrow = source.map(lambda kv: kv).filter(bool).mapValues(str).flatMapValues(list).keys()
    assert isinstance(narrow, PipelinedRDD) and narrow.source is source
    assert isinstance(source, ParallelCollectionRDD)


@pytest.mark.parametrize(
    "operation, expected",
    [
        (lambda rdd: rdd.reduceByKey(add), [("shuffle", 3), ("result", 3)]),
        (lambda rdd: rdd.groupByKey(2).mapValues(len), [("shuffle", 3), ("result", 2)]),
        (lambda rdd: rdd.join(rdd.mapValues(str)), [("shuffle", 6), ("result", 6)]),
        (lambda rdd: rdd.distinct(), [("shuffle", 3), ("result", 3)]),
        (lambda rdd: rdd.repartition(2), [("shuffle", 3), ("result", 2)]),
        (lambda rdd: rdd.coalesce(2), [("result", 2)]),
        (lambda rdd: rdd.partitionBy(2).reduceByKey(add, 2).mapValues(str), [("shuffle", 3), ("result", 2)]),
    ],
)
def test_each_wide_operation_runs_one_shuffle(sc, stages, operation, expected):
    operation(sc.parallelize(PAIRS, 3)).collect()
    assert stages == expected


def test_co_partitioned_join_shuffles_only_to_partition(sc, stages):
    left = sc.parallelize(PAIRS, 3).partitionBy(2)
    right = sc.parallelize(PAIRS, 3).partitionBy(2)
    left.join(right).collect()
    assert stages == [("shuffle", 3), ("shuffle", 3), ("result", 2)]


def test_a_shuffle_runs_once_for_several_jobs(sc, stages):
    counts = sc.parallelize(PAIRS, 3).reduceByKey(add)
    counts.collect()
    counts.count()
    assert stages == [("shuffle", 3), ("result", 3), ("result", 3)]


def test_no_map_task_runs_for_a_partition_known_to_hold_no_record(sc, stages):
    """An empty slice, a reduce partition no map output wrote to, through record-wise steps:
    the driver knows the task would write nothing (an empty streaming batch runs no map stage)."""
    half = sc.parallelize([("a", 1), ("b", 2)], 4).map(lambda kv: kv).reduceByKey(add, 3)
    assert sorted(half.collect()) == [("a", 1), ("b", 2)]
    assert sorted(half.partitionBy(2).collect()) == [("a", 1), ("b", 2)]
    empty = sc.parallelize([], 2).flatMap(lambda line: line.split()).map(lambda word: (word, 1))
    assert empty.reduceByKey(add).collect() == []
    assert sc.union([empty, sc.parallelize([("c", 3)], 1)]).reduceByKey(add).collect() == [("c", 3)]
    # reduceByKey(3) has 2 map tasks (2 of 4 slices hold records); a and b are in 2 of its 3
    # partitions, which partitionBy then reads; the empty source shuffles nothing
    assert stages == [
        ("shuffle", 2),
        ("result", 3),
        ("shuffle", 2),
        ("result", 2),
        ("result", 2),
        ("shuffle", 1),
        ("result", 3),
    ]


def test_a_function_over_whole_partitions_runs_even_on_an_empty_one(sc, stages):
    made = sc.parallelize([], 2).mapPartitions(lambda records: [("made", 1)])
    assert made.reduceByKey(add).collect() == [("made", 2)]
    assert stages == [("shuffle", 2), ("result", 2)]


def test_record_steps_after_a_combine_still_show_an_empty_partition(sc, stages):
    """A filter after reduceByKey fuses with the reduce side's combine; neither makes records
    from none, so the next shuffle runs map tasks only for the partitions a and b reached."""
    counts = sc.parallelize([("a", 1), ("b", 2)], 2).reduceByKey(add, 4).filter(lambda kv: kv[1] > 0)
    assert sorted(counts.map(lambda kv: (kv[1], kv[0])).reduceByKey(add, 2).collect()) == [(1, "a"), (2, "b")]
    assert stages == [("shuffle", 2), ("shuffle", 2), ("result", 2)]
