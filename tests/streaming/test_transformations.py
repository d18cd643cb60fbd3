"""Per-batch transformations and key/value operations, against the outputs PySpark 4 gave for
the same programs (local[2], input batches of 2 slices)."""

from __future__ import annotations

import operator

import pytest

from ember.testing import run_stream

NUMBERS = [[1, 2, 3, 4], [5], []]
PAIRS = [[("a", 1), ("b", 2), ("a", 3)], [("c", 4)], []]
OTHER_PAIRS = [[("a", "x"), ("d", "y")], [("c", "z"), ("c", "w")], [("e", "q")]]


def run(sc, build, inputs=NUMBERS, batches=4, inputs2=None):
    return run_stream(sc, inputs, build, batches, batch_duration=0.5, input_batches2=inputs2, num_slices=2)


@pytest.mark.parametrize(
    "build, expected",
    [
        (lambda d: d.map(lambda x: x * 2), [[2, 4, 6, 8], [10], [], []]),
        (lambda d: d.flatMap(lambda x: [x, -x]), [[1, -1, 2, -2, 3, -3, 4, -4], [5, -5], [], []]),
        (lambda d: d.filter(lambda x: x % 2), [[1, 3], [5], [], []]),
        (lambda d: d.mapPartitions(lambda it: [sum(it)]), [[3, 7], [0, 5], [0, 0], [0]]),
        (
            lambda d: d.mapPartitionsWithIndex(lambda i, it: [(i, list(it))]),
            [[(0, [1, 2]), (1, [3, 4])], [(0, []), (1, [5])], [(0, []), (1, [])], [(0, [])]],
        ),
        (lambda d: d.glom(), [[[1, 2], [3, 4]], [[], [5]], [[], []], [[]]]),
        (
            lambda d: d.map(lambda x: x % 2).countByValue().transform(lambda r: r.sortByKey()),
            [[(0, 2), (1, 2)], [(1, 1)], [], []],
        ),
        (lambda d: d.transform(lambda t, r: r.map(lambda x: x + 100)), [[101, 102, 103, 104], [105], [], []]),
        (
            lambda d: d.transformWith(
                lambda a, b: a.cartesian(b).filter(lambda ab: ab[0] < ab[1]), d.map(lambda x: x + 1)
            ),
            [
                [(1, 2), (1, 3), (2, 3), (1, 4), (1, 5), (2, 4), (2, 5), (3, 4), (3, 5), (4, 5)],
                [(5, 6)],
                [],
                [],
            ],
        ),
        (
            lambda d: d.transformWith(lambda t, a, b: a.union(b), d),
            [[1, 2, 3, 4, 1, 2, 3, 4], [5, 5], [], []],
        ),
        (lambda d: d.union(d.map(lambda x: -x)), [[1, 2, 3, 4, -1, -2, -3, -4], [5, -5], [], []]),
        (
            lambda d: d.context().transform(
                [d, d.map(lambda x: x * 10)], lambda rdds: rdds[0].union(rdds[1])
            ),
            [[1, 2, 3, 4, 10, 20, 30, 40], [5, 50], [], []],
        ),
        (
            lambda d: d.context().union(d, d.map(lambda x: -x), d),
            [[1, 2, 3, 4, -1, -2, -3, -4, 1, 2, 3, 4], [5, -5, 5], [], []],
        ),
        (lambda d: d.repartition(3).glom().map(len), [[2, 2, 0], [0, 1, 0], [0, 0, 0], [0, 0, 0]]),
    ],
    ids=[
        "map",
        "flatMap",
        "filter",
        "mapPartitions",
        "mapPartitionsWithIndex",
        "glom",
        "countByValue",
        "transform-with-time",
        "transformWith",
        "transformWith-with-time",
        "union",
        "ssc.transform",
        "ssc.union",
        "repartition",
    ],
)
def test_record_transformations(sc2, build, expected):
    assert run(sc2, build) == expected


def test_count_and_reduce_on_empty_and_exhausted_batches(sc2):
    inputs = [[1, 2, 3], [], [4]]
    assert run(sc2, lambda d: d.count(), inputs, 4) == [[3], [0], [1], [0]]
    assert run(sc2, lambda d: d.reduce(operator.add), inputs, 4) == [[6], [], [4], []]
    # an exhausted queue yields an empty RDD of one partition
    assert run(sc2, lambda d: d.glom(), inputs, 4) == [[[1], [2, 3]], [[], []], [[], [4]], [[]]]


def test_queue_stream_all_at_once_with_default_and_from_lists(sc2):
    def build(d):
        ssc = d.context()
        all_at_once = ssc.queueStream([sc2.parallelize([1, 2], 1), sc2.parallelize([3], 1)], oneAtATime=False)
        with_default = ssc.queueStream([[7], [8]], default=sc2.parallelize([0], 1))
        empty_then_default = ssc.queueStream([], default=[5, 6]).glom()
        from_lists = ssc.queueStream([[1, 2, 3]]).glom()

        def tag(name, s):
            return s.map(lambda x: (name, x))

        return (
            tag("all", all_at_once)
            .union(tag("def", with_default))
            .union(tag("empty-start", empty_then_default))
            .union(tag("lists", from_lists))
        )

    outputs = run(sc2, build, [[1]], 4)
    assert [[v for t, v in batch if t == "all"] for batch in outputs] == [[1, 2, 3], [], [], []]
    assert [[v for t, v in batch if t == "def"] for batch in outputs] == [[7], [8], [0], [0]]
    assert [[v for t, v in batch if t == "empty-start"] for batch in outputs] == [
        [[], []],
        [[5], [6]],
        [[5], [6]],
        [[5], [6]],
    ]
    assert [[v for t, v in batch if t == "lists"] for batch in outputs] == [[[1], [2, 3]], [[]], [[]], [[]]]


def _sorted(stream):
    return stream.transform(lambda r: r.sortBy(lambda x: str(x)))


@pytest.mark.parametrize(
    "build, expected",
    [
        (lambda d, e: d.mapValues(lambda v: v * 10), [[("a", 10), ("b", 20), ("a", 30)], [("c", 40)], []]),
        (
            lambda d, e: d.flatMapValues(lambda v: range(v)),
            [
                [("a", 0), ("b", 0), ("b", 1), ("a", 0), ("a", 1), ("a", 2)],
                [("c", 0), ("c", 1), ("c", 2), ("c", 3)],
                [],
            ],
        ),
        (
            lambda d, e: _sorted(d.groupByKey().mapValues(list)),
            [[("a", [1, 3]), ("b", [2])], [("c", [4])], []],
        ),
        (lambda d, e: _sorted(d.reduceByKey(operator.add)), [[("a", 4), ("b", 2)], [("c", 4)], []]),
        (
            lambda d, e: _sorted(d.combineByKey(lambda v: [v], lambda c, v: c + [v], operator.add)),
            [[("a", [1, 3]), ("b", [2])], [("c", [4])], []],
        ),
        (
            lambda d, e: d.partitionBy(3).glom(),
            [[[("b", 2)], [("a", 1), ("a", 3)], []], [[], [("c", 4)], []], [[], [], []]],
        ),
        (
            lambda d, e: _sorted(d.cogroup(e).mapValues(lambda ab: (list(ab[0]), list(ab[1])))),
            [
                [("a", ([1, 3], ["x"])), ("b", ([2], [])), ("d", ([], ["y"]))],
                [("c", ([4], ["z", "w"]))],
                [("e", ([], ["q"]))],
            ],
        ),
        (
            lambda d, e: _sorted(d.join(e)),
            [[("a", (1, "x")), ("a", (3, "x"))], [("c", (4, "w")), ("c", (4, "z"))], []],
        ),
        (
            lambda d, e: _sorted(d.leftOuterJoin(e)),
            [[("a", (1, "x")), ("a", (3, "x")), ("b", (2, None))], [("c", (4, "w")), ("c", (4, "z"))], []],
        ),
        (
            lambda d, e: _sorted(d.rightOuterJoin(e)),
            [
                [("a", (1, "x")), ("a", (3, "x")), ("d", (None, "y"))],
                [("c", (4, "w")), ("c", (4, "z"))],
                [("e", (None, "q"))],
            ],
        ),
        (
            lambda d, e: _sorted(d.fullOuterJoin(e)),
            [
                [("a", (1, "x")), ("a", (3, "x")), ("b", (2, None)), ("d", (None, "y"))],
                [("c", (4, "w")), ("c", (4, "z"))],
                [("e", (None, "q"))],
            ],
        ),
        (lambda d, e: d.count(), [[3], [1], [0]]),
        (lambda d, e: d.reduce(lambda a, b: (a[0] + b[0], a[1] + b[1])), [[("aba", 6)], [("c", 4)], []]),
    ],
    ids=[
        "mapValues",
        "flatMapValues",
        "groupByKey",
        "reduceByKey",
        "combineByKey",
        "partitionBy",
        "cogroup",
        "join",
        "leftOuterJoin",
        "rightOuterJoin",
        "fullOuterJoin",
        "count",
        "reduce",
    ],
)
def test_key_value_operations(sc2, build, expected):
    assert run(sc2, build, PAIRS, 3, OTHER_PAIRS) == expected


def test_partition_counts_follow_pyspark(sc2):
    """DStream shuffles default to sc.defaultParallelism (2 here); narrow ops keep the parent's."""

    def build(d):
        ops = {
            "reduceByKey": d.reduceByKey(operator.add),
            "groupByKey": d.groupByKey(),
            "countByValue": d.countByValue(),
            "map": d.map(lambda x: x),
            "count": d.count(),
            "window": d.window(1.0, 0.5),
            "cogroup": d.cogroup(d),
            "join": d.join(d),
            "union": d.union(d),
            "reduceByKeyAndWindow": d.reduceByKeyAndWindow(operator.add, None, 1.0, 0.5),
            "windowAfterReduceByKey": d.reduceByKey(operator.add).window(1.0, 0.5),
            "combineByKey": d.combineByKey(lambda v: v, operator.add, operator.add),
            "reduce": d.reduce(lambda a, b: a),
            "repartition": d.repartition(5),
        }

        def partitions_of(name):
            return lambda rdd: rdd.context.parallelize([(name, rdd.getNumPartitions())], 1)

        counted = [s.transform(partitions_of(name)) for name, s in ops.items()]
        return d.context().union(*counted)

    outputs = run_stream(
        sc2, [[("a", 1), ("b", 2), ("c", 3)], [("a", 1)]], build, 3, batch_duration=0.5, num_slices=3
    )
    assert [dict(batch) for batch in outputs] == [
        {
            "reduceByKey": 2,
            "groupByKey": 2,
            "countByValue": 2,
            "map": 3,
            "count": 1,
            "window": 3,
            "cogroup": 2,
            "join": 2,
            "union": 6,
            "reduceByKeyAndWindow": 2,
            "windowAfterReduceByKey": 2,
            "combineByKey": 2,
            "reduce": 1,
            "repartition": 5,
        },
        {
            "reduceByKey": 2,
            "groupByKey": 2,
            "countByValue": 2,
            "map": 3,
            "count": 1,
            "window": 6,
            "cogroup": 2,
            "join": 2,
            "union": 6,
            "reduceByKeyAndWindow": 2,
            "windowAfterReduceByKey": 2,
            "combineByKey": 2,
            "reduce": 1,
            "repartition": 5,
        },
        {
            "reduceByKey": 2,
            "groupByKey": 2,
            "countByValue": 2,
            "map": 1,
            "count": 1,
            "window": 4,
            "cogroup": 2,
            "join": 2,
            "union": 2,
            "reduceByKeyAndWindow": 2,
            "windowAfterReduceByKey": 2,
            "combineByKey": 2,
            "reduce": 1,
            "repartition": 5,
        },
    ]


def test_results_do_not_depend_on_the_master(sc):
    outputs = run_stream(sc, PAIRS, lambda d: _sorted(d.reduceByKey(operator.add).union(d.mapValues(str))), 3)
    assert outputs == [[("a", "1"), ("a", "3"), ("a", 4), ("b", "2"), ("b", 2)], [("c", "4"), ("c", 4)], []]


def test_cache_persist_and_the_stream_attributes(sc2):
    from ember import StorageLevel

    def build(d):
        doubled = d.map(lambda x: x * 2).cache()
        assert doubled.is_cached and doubled._slideDuration == 0.5
        return doubled.persist(StorageLevel.MEMORY_AND_DISK).union(doubled)

    assert run(sc2, build, [[1], [2]], 2) == [[2, 2], [4, 4]]


def test_pair_operations_on_non_pairs_say_what_was_wrong(sc):
    with pytest.raises(TypeError, match="expects an RDD of \\(key, value\\) pairs, but found int"):
        run_stream(sc, [[1, 2]], lambda d: d.reduceByKey(operator.add), 1)


def test_transform_must_return_an_rdd(local_sc):
    with pytest.raises(TypeError, match="must return an RDD"):
        run_stream(local_sc, [[1]], lambda d: d.transform(lambda rdd: rdd.collect()), 1)


def test_streams_to_combine_must_share_a_slide(local_sc):
    def build(d):
        return d.union(d.window(2, 2))

    with pytest.raises(ValueError, match="same slide duration"):
        run_stream(local_sc, [[1]], build, 1)
    with pytest.raises(ValueError, match="at least one DStream"):
        run_stream(local_sc, [[1]], lambda d: d.context().union(), 1)
