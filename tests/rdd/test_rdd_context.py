"""SparkContext's RDD methods where the context's own settings matter (each test makes its own)."""

from operator import add

import pytest
from rdd_layout import PAIRS, layout

from ember import SparkConf, SparkContext


@pytest.fixture
def sc2():
    with SparkContext("local[2]", "context-test") as context:
        yield context


def test_default_parallelism_sets_parallelize_and_range_slices(sc2):
    assert sc2.defaultParallelism == 2
    assert layout(sc2.parallelize([1, 2, 3])) == (2, [[1], [2, 3]])
    assert layout(sc2.range(5)) == (2, [[0, 1], [2, 3, 4]])


def test_default_reduce_partitions_follow_spark_default_parallelism():
    conf = SparkConf().set("spark.default.parallelism", "4")
    with SparkContext("local[1]", "conf-test", conf=conf) as context:
        assert context.parallelize(PAIRS, 3).reduceByKey(add).getNumPartitions() == 4
        assert context.parallelize(PAIRS, 3).join(context.parallelize(PAIRS, 2)).getNumPartitions() == 4


def test_union_of_many_drops_empty_rdds(sc2):
    union = sc2.union([sc2.parallelize([1]), sc2.parallelize([2, 3], 2), sc2.emptyRDD()])
    assert layout(union) == (4, [[], [1], [2], [3]])


def test_context_union_aligns_partitioned_rdds_but_forgets_the_partitioner(sc2):
    left = sc2.parallelize(PAIRS, 3).partitionBy(2)
    right = sc2.parallelize([("a", "x"), ("c", "y"), ("f", "z"), ("a", "w")], 2).partitionBy(2)
    union = sc2.union([left, right])
    assert layout(union) == (
        2,
        [
            [("b", 2), ("c", 4), ("d", 5), ("b", 6), ("c", "y")],
            [("a", 1), ("a", 3), ("e", 7), ("a", "x"), ("f", "z"), ("a", "w")],
        ],
    )
    assert union.partitioner is None
    assert left.union(right).partitioner == left.partitioner


def test_union_needs_an_rdd(sc2):
    with pytest.raises(ValueError, match="at least one RDD"):
        sc2.union([])
    with pytest.raises(TypeError, match="Can only add an RDD to an RDD, not list"):
        sc2.parallelize([1]) + [2]


def test_run_job_flattens_what_the_function_yields(sc2):
    rdd = sc2.parallelize(range(6), 3)
    assert sc2.runJob(rdd, lambda part: [x * x for x in part]) == [0, 1, 4, 9, 16, 25]
    assert sc2.runJob(rdd, lambda part: [sum(part)], [0, 2]) == [1, 9]
    with pytest.raises(ValueError, match="partition 3 does not exist .* which has 3 partitions"):
        sc2.runJob(rdd, list, [3])


def test_broadcast_and_accumulator_in_tasks(sc2):
    lookup = sc2.broadcast({1: "one", 2: "two"})
    seen = sc2.accumulator(0)

    def name(x):
        seen.add(1)
        return lookup.value.get(x, "?")

    assert sc2.parallelize([1, 2, 3], 2).map(name).collect() == ["one", "two", "?"]
    assert seen.value == 3


def test_stopped_context_refuses_jobs():
    context = SparkContext("local[1]", "stopped")
    rdd = context.parallelize([1])
    context.stop()
    with pytest.raises(RuntimeError, match="stopped SparkContext"):
        rdd.collect()
