"""Per-key aggregation and value maps; expected values are PySpark 4's (PYTHONHASHSEED=0)."""

from operator import add

import pytest
from rdd_layout import PAIRS, WORDS, layout

from ember.resultiterable import ResultIterable


@pytest.fixture
def pairs(sc):
    return sc.parallelize(PAIRS, 3)


def test_reduce_by_key_keeps_the_input_partition_count_and_first_seen_order(sc):
    counts = sc.parallelize(WORDS, 3).map(lambda w: (w, 1)).reduceByKey(add)
    assert layout(counts) == (
        3,
        [
            [("the", 3), ("fox", 2), ("jumps", 1), ("lazy", 1)],
            [("quick", 1), ("brown", 1), ("over", 1), ("end", 1)],
            [("dog", 1)],
        ],
    )


def test_reduce_by_key_with_num_partitions(sc):
    counts = sc.parallelize(WORDS, 3).map(lambda w: (w, 1)).reduceByKey(add, 5)
    assert layout(counts) == (
        5,
        [
            [("lazy", 1)],
            [("quick", 1), ("brown", 1), ("over", 1)],
            [("the", 3), ("dog", 1)],
            [("fox", 2), ("jumps", 1)],
            [("end", 1)],
        ],
    )


def test_reduce_by_key_int_keys(sc):
    sums = sc.parallelize([(i % 7, i) for i in range(40)], 4).reduceByKey(add)
    assert layout(sums) == (4, [[(0, 105), (4, 129)], [(1, 111), (5, 95)], [(2, 117), (6, 100)], [(3, 123)]])


def test_group_by_key_gives_result_iterables(pairs):
    grouped = pairs.groupByKey()
    assert layout(grouped) == (3, [[("b", [2, 6])], [("a", [1, 3]), ("c", [4])], [("d", [5]), ("e", [7])]])
    key, values = grouped.first()
    assert isinstance(values, ResultIterable)
    assert (len(values), list(values), list(values)) == (2, [2, 6], [2, 6])


def test_group_by_key_num_partitions(pairs):
    assert layout(pairs.groupByKey(2)) == (
        2,
        [[("b", [2, 6]), ("c", [4]), ("d", [5])], [("a", [1, 3]), ("e", [7])]],
    )


def test_group_by(sc):
    grouped = sc.parallelize(range(10), 2).groupBy(lambda x: x % 3)
    assert layout(grouped) == (2, [[(0, [0, 3, 6, 9]), (2, [2, 5, 8])], [(1, [1, 4, 7])]])


def test_combine_aggregate_fold_by_key(pairs):
    expected_partitions = [["b"], ["a", "c"], ["d", "e"]]
    combined = pairs.combineByKey(lambda v: [v], lambda c, v: c + [v], lambda c1, c2: c1 + c2)
    assert layout(combined) == (3, [[("b", [2, 6])], [("a", [1, 3]), ("c", [4])], [("d", [5]), ("e", [7])]])
    averaged = pairs.aggregateByKey(
        (0, 0), lambda acc, v: (acc[0] + v, acc[1] + 1), lambda x, y: (x[0] + y[0], x[1] + y[1])
    )
    assert layout(averaged) == (
        3,
        [[("b", (8, 2))], [("a", (4, 2)), ("c", (4, 1))], [("d", (5, 1)), ("e", (7, 1))]],
    )
    folded = pairs.foldByKey(0, add)
    assert layout(folded) == (3, [[("b", 8)], [("a", 4), ("c", 4)], [("d", 5), ("e", 7)]])
    assert [[k for k, _ in part] for part in folded.glom().collect()] == expected_partitions


def test_aggregate_by_key_gives_each_key_its_own_zero(sc):
    lists = sc.parallelize([("a", 1), ("b", 2), ("a", 3)], 1).aggregateByKey(
        [], lambda acc, v: acc.append(v) or acc, lambda x, y: x + y
    )
    assert sorted(lists.collect()) == [("a", [1, 3]), ("b", [2])]


def test_partition_by(pairs):
    assert layout(pairs.partitionBy(2)) == (
        2,
        [[("b", 2), ("c", 4), ("d", 5), ("b", 6)], [("a", 1), ("a", 3), ("e", 7)]],
    )
    assert layout(pairs.partitionBy(4, ord)) == (
        4,
        [[("d", 5)], [("a", 1), ("a", 3), ("e", 7)], [("b", 2), ("b", 6)], [("c", 4)]],
    )


def test_partition_by_moves_each_record_as_it_is(sc):
    """Pairs that are lists arrive as lists, after tuples and before them (tuples travel as
    columns of keys and values, other records one by one)."""
    records = sc.parallelize([("a", 1), ["b", 2], ("c", 3), ["a", 4]], 1)
    assert layout(records.partitionBy(2)) == (2, [[["b", 2], ("c", 3)], [("a", 1), ["a", 4]]])


@pytest.mark.parametrize("record", [("x", "y", "z"), 7, ["x"]])
def test_partition_by_names_a_record_that_is_not_a_pair(sc, record):
    with pytest.raises(
        TypeError, match=rf"expects \(key, value\) pairs, but partition 0 holds {type(record).__name__} "
    ):
        sc.parallelize([("a", 1), record], 1).partitionBy(2).collect()


def test_partition_by_same_partitioner_is_a_no_op(pairs):
    once = pairs.partitionBy(2)
    assert once.partitionBy(2) is once
    assert once.mapValues(str).partitioner == once.partitioner
    assert once.map(lambda kv: kv).partitioner is None
    assert once.filter(bool).partitioner == once.partitioner


def test_reduce_by_key_on_partitioned_data_does_not_reshuffle(pairs):
    partitioned = pairs.partitionBy(2)
    summed = partitioned.reduceByKey(add, 2)
    assert summed.dependencies()[0].dependencies()[0] is partitioned.dependencies()[0]
    assert layout(summed) == (2, [[("b", 8), ("c", 4), ("d", 5)], [("a", 4), ("e", 7)]])


@pytest.mark.parametrize(
    "operation, name",
    [
        (lambda rdd, n: rdd.partitionBy(n), "partitionBy"),
        (lambda rdd, n: rdd.reduceByKey(add, n), "reduceByKey"),
        (lambda rdd, n: rdd.groupByKey(n), "groupByKey"),
        (lambda rdd, n: rdd.join(rdd, n), "join"),
        (lambda rdd, n: rdd.sortByKey(True, n), "sortByKey"),
    ],
)
@pytest.mark.parametrize("count", [0, -2, 1.5, "3"])
def test_bad_partition_counts_are_named_with_their_operation(pairs, operation, name, count):
    with pytest.raises(ValueError, match=f"{name}: numPartitions must be a positive int, got {count!r}"):
        operation(pairs, count)


def test_value_maps_keep_partitioning(sc, pairs):
    assert layout(pairs.mapValues(lambda v: v * 10)) == (
        3,
        [[("a", 10), ("b", 20)], [("a", 30), ("c", 40)], [("d", 50), ("b", 60), ("e", 70)]],
    )
    flat = sc.parallelize([("a", [1, 2]), ("b", []), ("c", [3])], 2).flatMapValues(lambda x: x)
    assert layout(flat) == (2, [[("a", 1), ("a", 2)], [("c", 3)]])
    assert layout(pairs.keys()) == (3, [["a", "b"], ["a", "c"], ["d", "b", "e"]])
    assert layout(pairs.values()) == (3, [[1, 2], [3, 4], [5, 6, 7]])
    assert layout(sc.parallelize(range(5), 2).keyBy(lambda x: x * x)) == (
        2,
        [[(0, 0), (1, 1)], [(4, 2), (9, 3), (16, 4)]],
    )


@pytest.mark.parametrize(
    "operation",
    [
        lambda rdd: rdd.reduceByKey(add),
        lambda rdd: rdd.groupByKey(),
        lambda rdd: rdd.mapValues(str),
        lambda rdd: rdd.flatMapValues(lambda v: [v]),
        lambda rdd: rdd.keys(),
        lambda rdd: rdd.partitionBy(2),
    ],
)
def test_non_pairs_to_a_pair_operation_name_what_was_found(sc, operation):
    with pytest.raises(TypeError, match=r"\(key, value\) pairs, but .*int 7"):
        operation(sc.parallelize([("a", 1), 7], 1)).collect()


def test_count_by_key_and_value(sc, pairs):
    assert repr(pairs.countByKey()) == "defaultdict(<class 'int'>, {'a': 2, 'b': 2, 'c': 1, 'd': 1, 'e': 1})"
    assert repr(sc.parallelize(WORDS, 3).countByValue()) == (
        "defaultdict(<class 'int'>, {'the': 3, 'quick': 1, 'brown': 1, 'fox': 2, 'jumps': 1, "
        "'over': 1, 'lazy': 1, 'dog': 1, 'end': 1})"
    )


def test_collect_as_map_and_lookup(pairs):
    assert pairs.collectAsMap() == {"a": 3, "b": 6, "c": 4, "d": 5, "e": 7}
    assert pairs.lookup("a") == [1, 3]
    assert pairs.partitionBy(2).lookup("b") == [2, 6]
    assert pairs.lookup("zz") == []


def test_reduce_by_key_over_a_co_partitioned_union_does_not_shuffle(pairs):
    left = pairs.reduceByKey(add, 2)
    right = pairs.mapValues(lambda v: v * 100).reduceByKey(add, 2)
    union = left.union(right)
    assert layout(union) == (
        2,
        [
            [("b", 8), ("c", 4), ("d", 5), ("b", 800), ("c", 400), ("d", 500)],
            [("a", 4), ("e", 7), ("a", 400), ("e", 700)],
        ],
    )
    assert layout(union.reduceByKey(add)) == (
        2,
        [[("b", 808), ("c", 404), ("d", 505)], [("a", 404), ("e", 707)]],
    )


def test_group_by_key_can_be_collected_twice(pairs):
    grouped = pairs.groupByKey().mapValues(list)
    for _ in range(2):  # PySpark 4.3's layout, both times
        assert layout(grouped) == (
            3,
            [[("b", [2, 6])], [("a", [1, 3]), ("c", [4])], [("d", [5]), ("e", [7])]],
        )


def test_reduce_by_key_with_none_tuple_and_float_keys(sc):
    keyed = sc.parallelize([(None, 1), (None, 2), ((1, 2), 3), ((1, 2), 4), (2.5, 1)], 2)
    assert layout(keyed.reduceByKey(add)) == (2, [[(None, 3), (2.5, 1)], [((1, 2), 7)]])


def test_group_by_key_of_partitioned_data(sc):
    partitioned = sc.parallelize([("a", 1), ("b", 2), ("a", 3)], 2).partitionBy(2)
    assert layout(partitioned.groupByKey()) == (2, [[("b", [2])], [("a", [1, 3])]])


def test_merge_functions_may_mutate_their_first_argument(sc):
    lists = sc.parallelize([("a", [1]), ("b", [2]), ("a", [3])], 2)
    extended = lists.reduceByKey(lambda x, y: x.extend(y) or x)
    assert extended.collect() == extended.collect() == [("b", [2]), ("a", [1, 3])]
    assert lists.collect() == [("a", [1]), ("b", [2]), ("a", [3])]


def test_group_by_with_num_partitions(sc):
    assert layout(sc.parallelize(range(6), 2).groupBy(lambda x: x % 2, 3)) == (
        3,
        [[(0, [0, 2, 4])], [(1, [1, 3, 5])], []],
    )
