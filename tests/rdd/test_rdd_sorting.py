"""sortByKey / sortBy: PySpark's sampled range partitions and stable per-partition sorts."""

from rdd_layout import PAIRS, WORDS, layout

SORTED_PAIRS = [("a", 1), ("a", 3), ("b", 2), ("b", 6), ("c", 4), ("d", 5), ("e", 7)]


def test_sort_by_key(sc):
    pairs = sc.parallelize(PAIRS, 3)
    assert layout(pairs.sortByKey()) == (3, [SORTED_PAIRS[:4], [("c", 4)], [("d", 5), ("e", 7)]])
    assert layout(pairs.sortByKey(False)) == (
        3,
        [[("e", 7), ("d", 5)], [("c", 4)], [("b", 2), ("b", 6), ("a", 1), ("a", 3)]],
    )
    assert layout(pairs.sortByKey(True, 2)) == (2, [SORTED_PAIRS[:4], SORTED_PAIRS[4:]])
    assert layout(pairs.sortByKey(True, 1)) == (1, [SORTED_PAIRS])


def test_sort_by_key_balances_partitions_by_sampling(sc):
    keyed = sc.parallelize([(i * 7919 % 1000, i) for i in range(1000)], 4)
    assert [len(part) for part in keyed.sortByKey().glom().collect()] == [264, 283, 257, 196]
    descending = keyed.sortByKey(False, 3).glom().collect()
    assert [len(part) for part in descending] == [290, 308, 402]
    assert [k for part in descending for k, _ in part] == sorted(range(1000), reverse=True)


def test_sort_by_key_with_keyfunc(sc):
    mixed = sc.parallelize([("B", 1), ("a", 2), ("C", 3), ("d", 4)], 2)
    assert layout(mixed.sortByKey(keyfunc=str.lower)) == (2, [[], [("a", 2), ("B", 1), ("C", 3), ("d", 4)]])


def test_sort_by_key_of_empty_data_keeps_its_partitions(sc):
    assert layout(sc.parallelize([], 3).sortByKey()) == (3, [[], [], []])


def test_sort_by(sc):
    words = sc.parallelize(WORDS, 3)
    assert layout(words.sortBy(lambda w: (len(w), w))) == (
        3,
        [["dog", "end", "fox", "fox", "the", "the", "the"], ["lazy", "over"], ["brown", "jumps", "quick"]],
    )
    assert layout(words.sortBy(len, False, 2)) == (
        2,
        [["quick", "brown", "jumps", "over", "lazy"], ["the", "fox", "the", "dog", "the", "end", "fox"]],
    )


def test_sort_is_stable(sc):
    assert sc.parallelize(WORDS, 2).sortBy(len, numPartitions=1).collect() == [
        "the",
        "fox",
        "the",
        "dog",
        "the",
        "end",
        "fox",
        "over",
        "lazy",
        "quick",
        "brown",
        "jumps",
    ]


def test_sort_by_key_with_repeated_keys_and_descending_keyfunc(sc):
    repeated = sc.parallelize([(1, i) for i in range(10)] + [(2, 0)], 3)
    assert layout(repeated.sortByKey()) == (3, [[(1, i) for i in range(10)], [], [(2, 0)]])
    mixed = sc.parallelize([("B", 1), ("a", 2), ("C", 3), ("d", 4), ("e", 5)], 2)
    assert layout(mixed.sortByKey(False, 2, keyfunc=str.lower)) == (
        2,
        [[("e", 5), ("d", 4), ("C", 3), ("B", 1), ("a", 2)], []],
    )


def test_sort_with_more_partitions_than_records(sc):
    assert layout(sc.parallelize([3, 1, 2], 4).sortBy(lambda x: x)) == (4, [[1], [2], [3], []])
    assert layout(sc.parallelize([(3, 1), (1, 2)], 1).sortByKey()) == (1, [[(1, 2), (3, 1)]])
