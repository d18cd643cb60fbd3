"""Actions; expected values and error messages are PySpark 4's."""

from operator import add

import pytest


def test_collect_count_first(sc):
    assert sc.parallelize(range(17), 4).count() == 17
    assert sc.emptyRDD().count() == 0
    assert sc.parallelize([5, 6], 2).first() == 5


def test_take_returns_the_first_records_in_partition_order(sc):
    assert sc.parallelize(range(100), 10).take(7) == [0, 1, 2, 3, 4, 5, 6]
    assert sc.parallelize(range(5), 3).take(10) == [0, 1, 2, 3, 4]
    assert sc.parallelize([], 2).take(3) == []
    assert sc.parallelize(range(10), 3).filter(lambda x: x > 7).take(2) == [8, 9]
    assert sc.parallelize([1, 2], 2).take(-1) == []


def test_take_computes_only_the_partitions_it_needs(sc):
    computed = sc.accumulator(0)

    def counted(x):
        computed.add(1)
        return x

    rdd = sc.parallelize(range(100), 10).map(counted)
    assert rdd.take(3) == [0, 1, 2]
    assert computed.value == 3
    assert rdd.take(15)[-1] == 14
    assert computed.value == 3 + 10 + 5  # one partition, then the estimate asks for one more


def test_take_ordered_and_top(sc):
    rdd = sc.parallelize([5, 3, 9, 1, 7, 2], 3)
    assert rdd.takeOrdered(3) == [1, 2, 3]
    assert rdd.takeOrdered(2, key=lambda x: -x) == [9, 7]
    assert rdd.top(3) == [9, 7, 5]
    assert rdd.top(2, key=lambda x: -x) == [1, 2]
    assert sc.parallelize([], 2).takeOrdered(2) == [] and sc.parallelize([], 2).top(2) == []
    assert sc.emptyRDD().takeOrdered(3) == [] and rdd.takeOrdered(0) == []
    with pytest.raises(ValueError, match="top N cannot be negative."):
        rdd.takeOrdered(-1)


def test_reduce_fold_aggregate(sc):
    assert sc.parallelize(range(10), 3).reduce(add) == 45
    assert sc.parallelize(["a", "b", "c", "d"], 2).reduce(add) == "abcd"
    assert sc.parallelize([1], 4).reduce(add) == 1
    assert sc.parallelize(range(10), 3).fold(0, add) == 45
    assert sc.parallelize(["a", "b", "c"], 2).fold("z", add) == "zzazbc"
    assert sc.parallelize([], 3).fold(1, add) == 4
    assert sc.parallelize(range(10), 3).aggregate(
        (0, 0), lambda acc, v: (acc[0] + v, acc[1] + 1), lambda x, y: (x[0] + y[0], x[1] + y[1])
    ) == (45, 10)
    assert sc.parallelize([], 2).aggregate("s", lambda a, v: a + str(v), add) == "sss"


def test_fold_gives_each_partition_its_own_zero(sc):
    assert sc.parallelize([1, 2, 3], 3).fold([], lambda acc, x: acc.append(x) or acc) == [[1], [2], [3]]


def test_sum_min_max_mean(sc):
    assert sc.parallelize(range(10), 3).sum() == 45
    assert sc.parallelize([], 2).sum() == 0
    assert sc.parallelize([4, 1, 9], 2).min() == 1
    assert sc.parallelize([4, 1, 9], 2).max() == 9
    assert sc.parallelize(["aa", "b", "ccc"], 2).max(key=len) == "ccc"
    assert sc.parallelize(["aa", "b", "ccc"], 2).min(key=len) == "b"
    assert sc.parallelize(range(10), 3).mean() == 4.5
    assert sc.parallelize([0.1, 0.2, 0.3, 0.7, 1.1], 2).mean() == 0.4800000000000001
    assert sc.parallelize([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0.3], 3).mean() == 6.023076923076924
    assert sc.parallelize([], 2).mean() == 0.0


def test_is_empty(sc):
    assert sc.parallelize([], 2).isEmpty()
    assert not sc.parallelize([1], 2).isEmpty()
    assert sc.emptyRDD().isEmpty()
    assert sc.parallelize(range(5), 2).filter(lambda x: x > 9).isEmpty()


@pytest.mark.parametrize(
    "action, message",
    [
        (lambda rdd: rdd.reduce(add), "Can not reduce() empty RDD"),
        (lambda rdd: rdd.max(), "Can not reduce() empty RDD"),
        (lambda rdd: rdd.first(), "RDD is empty"),
    ],
)
def test_actions_on_empty_data(sc, action, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        action(sc.parallelize([], 2))


def test_mean_of_an_rdd_without_partitions(sc):
    with pytest.raises(ValueError, match=r"Can not reduce\(\) empty RDD"):
        sc.emptyRDD().mean()


def test_foreach_and_foreach_partition_run_on_every_record(sc):
    seen, partitions = sc.accumulator(0), sc.accumulator(0)
    rdd = sc.parallelize(range(1, 6), 3)
    rdd.foreach(lambda x: seen.add(x))
    assert seen.value == 15

    def visit(iterator):
        partitions.add(1)
        for x in iterator:
            seen.add(x)

    rdd.foreachPartition(visit)
    assert (seen.value, partitions.value) == (30, 3)

    def visit_lazily(iterator):
        for x in iterator:
            seen.add(x)
            yield x

    rdd.foreachPartition(visit_lazily)
    rdd.foreachPartition(lambda iterator: sum(1 for _ in iterator))  # a non-iterable result
    assert seen.value == 45


def test_a_failing_user_function_raises_its_own_error(sc):
    def broken(x):
        raise KeyError(f"no {x}")

    with pytest.raises(KeyError, match="no 1"):
        sc.parallelize([1], 1).map(broken).collect()


def test_mean_merges_partitions_like_pyspark(sc):
    assert sc.parallelize([1, 2], 2).mean() == 1.5
    assert sc.parallelize([1e16, 1, -1e16], 2).mean() == 0.6666666666666666
    assert sc.parallelize([0.1] * 10, 3).sum() == 1.0


def test_aggregate_gives_each_partition_its_own_zero(sc):
    appended = sc.parallelize([1, 2, 3, 4], 2).aggregate([], lambda acc, x: acc.append(x) or acc, add)
    assert appended == [1, 2, 3, 4]


def test_reduce_by_key_locally_and_to_local_iterator(sc):
    assert sc.parallelize([("a", 1), ("b", 2), ("a", 3)], 2).reduceByKeyLocally(add) == {"a": 4, "b": 2}
    assert list(sc.parallelize(range(7), 3).toLocalIterator()) == [0, 1, 2, 3, 4, 5, 6]
    pairs = sc.parallelize([("a", 5), ("b", 9), ("c", 1)], 2)
    assert pairs.top(2, key=lambda kv: kv[1]) == [("b", 9), ("a", 5)]


@pytest.mark.parametrize(
    "action",
    [lambda rdd: rdd.countByValue(), lambda rdd: rdd.top(1), lambda rdd: rdd.reduceByKeyLocally(add)],
)
def test_driver_side_merges_of_an_rdd_without_partitions(sc, action):
    with pytest.raises(ValueError, match=r"Can not reduce\(\) empty RDD"):
        action(sc.emptyRDD())
    assert sc.emptyRDD().fold(0, add) == 0
