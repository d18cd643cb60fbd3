"""Joins, cogroups and set operations; expected values are PySpark 4's (PYTHONHASHSEED=0)."""

import pytest
from rdd_layout import OTHER, PAIRS, layout


@pytest.fixture
def left(sc):
    return sc.parallelize(PAIRS, 3)


@pytest.fixture
def right(sc):
    return sc.parallelize(OTHER, 2)


A_PAIRS = [("a", (1, "x")), ("a", (1, "w")), ("a", (3, "x")), ("a", (3, "w"))]


def test_join_has_the_partitions_of_the_union_of_its_inputs(left, right):
    assert layout(left.join(right)) == (5, [[], [], [("c", (4, "y"))], [], A_PAIRS])


def test_join_with_num_partitions(left, right):
    assert layout(left.join(right, 2)) == (2, [[("c", (4, "y"))], A_PAIRS])


def test_join_of_co_partitioned_inputs_keeps_their_partitioning(left, right):
    joined = left.partitionBy(3).join(right.partitionBy(3))
    assert layout(joined) == (3, [[], A_PAIRS + [("c", (4, "y"))], []])


def test_outer_joins(left, right):
    assert layout(left.leftOuterJoin(right)) == (
        5,
        [
            [],
            [("d", (5, None)), ("e", (7, None))],
            [("b", (2, None)), ("b", (6, None)), ("c", (4, "y"))],
            [],
            A_PAIRS,
        ],
    )
    assert layout(left.rightOuterJoin(right)) == (
        5,
        [[], [], [("c", (4, "y"))], [("f", (None, "z"))], A_PAIRS],
    )
    assert layout(left.fullOuterJoin(right)) == (
        5,
        [
            [],
            [("d", (5, None)), ("e", (7, None))],
            [("b", (2, None)), ("b", (6, None)), ("c", (4, "y"))],
            [("f", (None, "z"))],
            A_PAIRS,
        ],
    )


def test_cogroup(left, right):
    assert layout(left.cogroup(right)) == (
        5,
        [
            [],
            [("d", ([5], [])), ("e", ([7], []))],
            [("b", ([2, 6], [])), ("c", ([4], ["y"]))],
            [("f", ([], ["z"]))],
            [("a", ([1, 3], ["x", "w"]))],
        ],
    )


def test_group_with_three_inputs(sc, left, right):
    third = sc.parallelize([("a", 0), ("z", 9)], 1)
    assert layout(left.groupWith(right, third)) == (
        6,
        [
            [("b", ([2, 6], [], [])), ("z", ([], [], [9]))],
            [("a", ([1, 3], ["x", "w"], [0]))],
            [("d", ([5], [], []))],
            [("f", ([], ["z"], []))],
            [("c", ([4], ["y"], []))],
            [("e", ([7], [], []))],
        ],
    )


def test_join_with_an_empty_rdd(sc, right):
    assert layout(sc.emptyRDD().join(right)) == (2, [[], []])


def test_subtract_by_key_subtract_intersection(sc, left, right):
    assert layout(left.subtractByKey(right)) == (5, [[], [("d", 5), ("e", 7)], [("b", 2), ("b", 6)], [], []])
    numbers = sc.parallelize([1, 2, 3, 4, 5, 1, 2], 2)
    assert layout(numbers.subtract(sc.parallelize([2, 5], 1))) == (3, [[3], [1, 1, 4], []])
    assert layout(numbers.intersection(sc.parallelize([2, 5, 7, 5], 3))) == (5, [[5], [], [2], [], []])


def test_distinct(sc):
    assert layout(sc.parallelize([3, 1, 2, 3, 1, "x", "x"], 2).distinct()) == (2, [[2], [3, 1, "x"]])
    assert layout(sc.parallelize([3, 1, 2, 3, 1], 2).distinct(3)) == (3, [[3], [1], [2]])
    assert sc.parallelize(range(10), 4).distinct().getNumPartitions() == 4


def test_join_of_non_pairs_names_the_record(sc, right):
    with pytest.raises(TypeError, match=r"join expects an RDD of \(key, value\) pairs, but found str 'oops'"):
        sc.parallelize(["oops"], 1).join(right).collect()


def test_join_and_cogroup_with_num_partitions(sc):
    three = sc.parallelize([("a", 1), ("b", 2), ("c", 3)], 2)
    assert layout(three.leftOuterJoin(sc.parallelize([("a", 9)], 1), 3)) == (
        3,
        [[("b", (2, None))], [("a", (1, 9)), ("c", (3, None))], []],
    )
    two = sc.parallelize([("a", 1), ("b", 2)], 2)
    assert layout(two.cogroup(sc.parallelize([("a", 9), ("c", 8)], 1), 1)) == (
        1,
        [[("a", ([1], [9])), ("b", ([2], [])), ("c", ([], [8]))]],
    )
    assert layout(two.partitionBy(3).join(two.partitionBy(3))) == (3, [[("b", (2, 2))], [("a", (1, 1))], []])


def test_set_operations_of_mixed_records(sc):
    assert layout(sc.parallelize([(1, 2), (1, 2), (2, 1), "x", None, None], 2).distinct()) == (
        2,
        [[None], [(1, 2), (2, 1), "x"]],
    )
    assert layout(sc.parallelize([1, 2, 3, 4], 2).subtract(sc.parallelize([3], 1), 2)) == (2, [[2, 4], [1]])
    assert layout(sc.parallelize(["x", "y", "z", "x"], 2).intersection(sc.parallelize(["x", "z"], 1))) == (
        3,
        [["z"], ["x"], []],
    )


def test_join_multiplies_values_per_key(sc):
    left = sc.parallelize([(1, "a"), (1, "b"), (2, "c")], 2)
    assert layout(left.join(sc.parallelize([(1, "x"), (1, "y"), (3, "z")], 2), 2)) == (
        2,
        [[], [(1, ("a", "x")), (1, ("a", "y")), (1, ("b", "x")), (1, ("b", "y"))]],
    )
    outer = sc.parallelize([(1, "a"), (2, "c")], 2).fullOuterJoin(sc.parallelize([(1, "x"), (3, "z")], 2), 1)
    assert layout(outer) == (1, [[(1, ("a", "x")), (2, ("c", None)), (3, (None, "z"))]])


def test_cogroup_and_join_can_be_collected_twice(left, right):
    cogrouped = left.cogroup(right).mapValues(lambda groups: tuple(map(list, groups)))
    joined = left.fullOuterJoin(right)
    for _ in range(2):  # PySpark 4.3's layouts, both times
        assert layout(cogrouped) == (
            5,
            [
                [],
                [("d", ([5], [])), ("e", ([7], []))],
                [("b", ([2, 6], [])), ("c", ([4], ["y"]))],
                [("f", ([], ["z"]))],
                [("a", ([1, 3], ["x", "w"]))],
            ],
        )
        assert layout(joined) == (
            5,
            [
                [],
                [("d", (5, None)), ("e", (7, None))],
                [("b", (2, None)), ("b", (6, None)), ("c", (4, "y"))],
                [("f", (None, "z"))],
                [("a", (1, "x")), ("a", (1, "w")), ("a", (3, "x")), ("a", (3, "w"))],
            ],
        )
