"""A stage's narrow record operations run as one loop per partition (ember.rdd.pipeline).

The results must be those of the operations applied one after another (PySpark's), on every
master; a record that is not a pair fails where a pair operation meets it, naming that
operation, while the user's own exceptions go through unchanged.
"""

import operator

import pytest

from ember.rdd.lineage import ShuffledRDD

LINES = ["a b a", "c", "", "b a d", "e e e e"]


def test_a_chain_of_every_record_operation_gives_the_stepwise_result(sc):
    pairs = (
        sc.parallelize(LINES, 3)
        .flatMap(str.split)
        .filter(lambda word: word != "c")
        .map(lambda word: (word, len(word)))
        .mapValues(lambda n: n * 10)
        .flatMapValues(lambda n: [n, n + 1])
    )
    assert sorted(pairs.reduceByKey(operator.add).collect()) == [("a", 63), ("b", 42), ("d", 21), ("e", 84)]
    assert sorted(pairs.keys().collect()) == ["a"] * 6 + ["b"] * 4 + ["d"] * 2 + ["e"] * 8
    assert sorted(set(pairs.values().collect())) == [10, 11]
    assert pairs.groupByKey().mapValues(sorted).collectAsMap()["b"] == [10, 10, 11, 11]


def test_narrow_operations_before_a_shuffle_are_one_loop_ending_in_the_combine(sc):
    lines = sc.parallelize(LINES, 2)
    counts = lines.flatMap(str.split).map(lambda w: (w, 1)).reduceByKey(operator.add)
    shuffle = counts.source
    assert isinstance(shuffle, ShuffledRDD)
    map_side = shuffle.prev
    assert map_side.source is lines
    assert repr(map_side.func) == "RecordPipeline(flatMap, map, combine first)"
    assert repr(counts.func) == "RecordPipeline(combine first)"
    assert sorted(counts.collect()) == [("a", 3), ("b", 2), ("c", 1), ("d", 1), ("e", 4)]


def test_a_cached_step_ends_the_loop_and_is_computed_once(sc):
    calls = sc.accumulator(0)

    def split(line):
        calls.add(1)
        return line.split()

    words = sc.parallelize(LINES, 2).flatMap(split).cache()
    lengths = words.map(len)
    assert lengths.source is words
    assert sum(lengths.collect()) == 11 and words.count() == 11
    assert calls.value == len(LINES)


@pytest.mark.parametrize(
    "operation, name",
    [
        (lambda rdd: rdd.mapValues(str), "mapValues"),
        (lambda rdd: rdd.flatMapValues(lambda v: [v]), "flatMapValues"),
        (lambda rdd: rdd.keys(), "keys"),
        (lambda rdd: rdd.values(), "values"),
        (lambda rdd: rdd.reduceByKey(operator.add), "reduceByKey"),
        (lambda rdd: rdd.combineByKey(lambda v: [v], lambda c, v: c + [v], operator.add), "combineByKey"),
    ],
)
def test_a_record_that_is_not_a_pair_names_the_operation_that_met_it(sc, operation, name):
    records = sc.parallelize(["ab1", "cd2", "x"], 1).map(
        lambda text: (text[:2], int(text[2:])) if len(text) == 3 else ("x", "y", "z")
    )
    with pytest.raises(
        TypeError,
        match=rf"^{name} expects an RDD of \(key, value\) pairs, but " r"found tuple \('x', 'y', 'z'\)",
    ):
        operation(records).collect()


def test_the_users_own_errors_in_a_pair_step_go_through_unchanged(sc):
    pairs = sc.parallelize([("a", "1"), ("b", "two")], 1)
    with pytest.raises(ValueError, match="invalid literal for int"):
        pairs.mapValues(int).collect()
    with pytest.raises(TypeError, match="not iterable"):
        pairs.flatMapValues(lambda value: 5).collect()


def test_grouping_appends_in_the_loop_and_keeps_the_values_order(sc):
    grouped = sc.parallelize(LINES, 2).flatMap(str.split).map(lambda w: (w, len(w))).groupByKey()
    assert repr(grouped.source.prev.func) == "RecordPipeline(flatMap, map, combine group)"
    assert sorted((key, list(values)) for key, values in grouped.collect()) == [
        ("a", [1, 1, 1]),
        ("b", [1, 1]),
        ("c", [1]),
        ("d", [1]),
        ("e", [1, 1, 1, 1]),
    ]
