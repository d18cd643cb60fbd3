"""Narrow transformations, unions, coalesce and repartition; expected values are PySpark 4's."""

import pytest
from rdd_layout import OTHER, PAIRS, layout


def test_parallelize_slices_like_pyspark(sc):
    assert layout(sc.parallelize(range(10), 3)) == (3, [[0, 1, 2], [3, 4, 5], [6, 7, 8, 9]])
    assert layout(sc.parallelize(list(range(10)), 4)) == (4, [[0, 1], [2, 3], [4, 5], [6, 7, 8, 9]])
    assert layout(sc.parallelize([1, 2, 3], 5)) == (5, [[], [1], [], [2], [3]])
    assert layout(sc.parallelize([], 3)) == (3, [[], [], []])
    assert layout(sc.emptyRDD()) == (0, [])


def test_range(sc):
    assert layout(sc.range(10, numSlices=3)) == (3, [[0, 1, 2], [3, 4, 5], [6, 7, 8, 9]])
    assert layout(sc.range(2, 20, 3, 4)) == (4, [[2], [5, 8], [11], [14, 17]])


def test_map_filter_flat_map(sc):
    assert layout(sc.parallelize(range(10), 3).map(lambda x: x * 2).filter(lambda x: x % 3)) == (
        3,
        [[2, 4], [8, 10], [14, 16]],
    )
    assert layout(sc.parallelize(["a b", "c", "d e f"], 2).flatMap(str.split)) == (
        2,
        [["a", "b"], ["c", "d", "e", "f"]],
    )


def test_map_partitions(sc):
    rdd = sc.parallelize(range(7), 3)
    assert layout(rdd.mapPartitionsWithIndex(lambda i, it: [(i, sum(it))])) == (
        3,
        [[(0, 1)], [(1, 5)], [(2, 15)]],
    )
    assert rdd.mapPartitions(lambda it: [max(it, default=None)]).collect() == [1, 3, 6]


def test_union(sc):
    assert layout(sc.parallelize([1, 2], 2).union(sc.parallelize([3, 4, 5], 3))) == (
        5,
        [[1], [2], [3], [4], [5]],
    )
    pairs, other = sc.parallelize(PAIRS, 3), sc.parallelize(OTHER, 2)
    assert layout(pairs.partitionBy(2).union(other.partitionBy(3))) == (
        5,
        [
            [("b", 2), ("c", 4), ("d", 5), ("b", 6)],
            [("a", 1), ("a", 3), ("e", 7)],
            [("f", "z")],
            [("a", "x"), ("c", "y"), ("a", "w")],
            [],
        ],
    )
    assert layout(pairs.partitionBy(2).union(other)) == (
        4,
        [
            [("b", 2), ("c", 4), ("d", 5), ("b", 6)],
            [("a", 1), ("a", 3), ("e", 7)],
            [("a", "x"), ("c", "y")],
            [("f", "z"), ("a", "w")],
        ],
    )
    assert (pairs + pairs).getNumPartitions() == 6


def test_cartesian(sc):
    product = sc.parallelize([1, 2], 2).cartesian(sc.parallelize(["a", "b", "c"], 2))
    assert layout(product) == (4, [[(1, "a")], [(1, "b"), (1, "c")], [(2, "a")], [(2, "b"), (2, "c")]])
    assert product.first() == (1, "a")  # its parents once hid the first() action


def test_zip_with_index(sc):
    assert layout(sc.parallelize("abcdefg", 3).zipWithIndex()) == (
        3,
        [[("a", 0), ("b", 1)], [("c", 2), ("d", 3)], [("e", 4), ("f", 5), ("g", 6)]],
    )
    assert sc.parallelize("abc", 1).zipWithIndex().collect() == [("a", 0), ("b", 1), ("c", 2)]


def test_coalesce_without_shuffle_merges_neighbouring_partitions(sc):
    assert layout(sc.parallelize(range(10), 5).coalesce(2)) == (2, [[0, 1, 2, 3], [4, 5, 6, 7, 8, 9]])
    assert layout(sc.parallelize(range(10), 7).coalesce(3)) == (3, [[0, 1], [2, 3, 4], [5, 6, 7, 8, 9]])
    assert layout(sc.parallelize(range(10), 3).coalesce(5)) == (3, [[0, 1, 2], [3, 4, 5], [6, 7, 8, 9]])


def test_repartition_deals_batches_like_spark(sc):
    assert layout(sc.parallelize(range(10), 3).repartition(4)) == (
        4,
        [[6, 7, 8, 9], [0, 1, 2, 3, 4, 5], [], []],
    )
    assert layout(sc.parallelize(range(10), 3).coalesce(2, True)) == (2, [[6, 7, 8, 9], [0, 1, 2, 3, 4, 5]])
    assert layout(sc.parallelize(range(25), 2).repartition(2)) == (
        2,
        [[10, 11, 22, 23, 24], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]],
    )
    spread = layout(sc.parallelize(range(100), 3).repartition(5))
    assert spread == (
        5,
        [
            [
                10,
                11,
                12,
                13,
                14,
                15,
                16,
                17,
                18,
                19,
                43,
                44,
                45,
                46,
                47,
                48,
                49,
                50,
                51,
                52,
                76,
                77,
                78,
                79,
                80,
                81,
                82,
                83,
                84,
                85,
            ],
            [
                20,
                21,
                22,
                23,
                24,
                25,
                26,
                27,
                28,
                29,
                53,
                54,
                55,
                56,
                57,
                58,
                59,
                60,
                61,
                62,
                86,
                87,
                88,
                89,
                90,
                91,
                92,
                93,
                94,
                95,
            ],
            [30, 31, 32, 63, 64, 65, 96, 97, 98, 99],
            [],
            [
                0,
                1,
                2,
                3,
                4,
                5,
                6,
                7,
                8,
                9,
                33,
                34,
                35,
                36,
                37,
                38,
                39,
                40,
                41,
                42,
                66,
                67,
                68,
                69,
                70,
                71,
                72,
                73,
                74,
                75,
            ],
        ],
    )
    assert sc.parallelize(range(1000), 4).repartition(6).glom().first()[:30] == [
        30,
        31,
        32,
        33,
        34,
        35,
        36,
        37,
        38,
        39,
        90,
        91,
        92,
        93,
        94,
        95,
        96,
        97,
        98,
        99,
        150,
        151,
        152,
        153,
        154,
        155,
        156,
        157,
        158,
        159,
    ]


@pytest.mark.parametrize("count", [0, -1, 1.5])
def test_coalesce_rejects_bad_counts(sc, count):
    with pytest.raises(ValueError, match="Number of partitions must be positive"):
        sc.parallelize([1]).coalesce(count)


def test_persist_keeps_computed_partitions(sc):
    calls = sc.accumulator(0)

    def counted(x):
        calls.add(1)
        return x

    rdd = sc.parallelize(range(4), 2).map(counted).cache()
    assert rdd.is_cached and rdd.getStorageLevel().useMemory
    assert rdd.collect() == rdd.collect() == [0, 1, 2, 3]
    assert calls.value == 4
    rdd.unpersist()
    assert not rdd.is_cached
    assert rdd.count() == 4 and calls.value == 8


def test_repartition_to_more_partitions(sc):
    assert layout(sc.parallelize(range(15), 2).repartition(8)) == (
        8,
        [[], [], list(range(15)), [], [], [], [], []],
    )
    partitioned = sc.parallelize([(i, i) for i in range(12)], 3).partitionBy(2)
    assert layout(partitioned.repartition(3)) == (
        3,
        [
            [(0, 0), (2, 2), (4, 4), (6, 6), (8, 8), (10, 10)],
            [(1, 1), (3, 3), (5, 5), (7, 7), (9, 9), (11, 11)],
            [],
        ],
    )
    assert partitioned.repartition(3).partitioner is None


def test_zip_with_unique_id_runs_no_job(sc):
    assert layout(sc.parallelize("abcdefg", 3).zipWithUniqueId()) == (
        3,
        [[("a", 0), ("b", 3)], [("c", 1), ("d", 4)], [("e", 2), ("f", 5), ("g", 8)]],
    )


def test_union_chains_keep_a_shared_partitioner(sc):
    def single(pair):
        return sc.parallelize([pair], 1).partitionBy(2)

    union = single((1, 1)).union(single((2, 2))).union(single((3, 3)))
    assert layout(union) == (2, [[(2, 2)], [(1, 1), (3, 3)]])
    overlapping = sc.parallelize([1, 2], 2).union(sc.parallelize([2, 3], 2))
    assert layout(overlapping.distinct()) == (4, [[], [1], [2], [3]])


def test_coalesce_with_shuffle_to_more_partitions(sc):
    assert layout(sc.parallelize(range(5), 2).coalesce(4, True)) == (4, [[], [0, 1, 2, 3, 4], [], []])


def test_map_partitions_may_return_a_list(sc):
    sums = sc.parallelize(range(6), 3).mapPartitions(lambda it: [sum(it)])
    assert sums.reduce(lambda a, b: a * 10 + b) == 159
