"""A batch for which a parent stream has no RDD (its ``transform`` function returned None):
what each kind of stream makes of it, as PySpark 4.3 does (the expected values are its
outputs for the same programs)."""

from __future__ import annotations

import pytest

from ember.testing import run_stream


def none_when_empty(stream):
    return stream.transform(lambda rdd: None if rdd.isEmpty() else rdd)


def run(sc, build, inputs, batches, inputs2=None, checkpoint=False):
    return run_stream(
        sc,
        inputs,
        build,
        batches,
        batch_duration=0.5,
        input_batches2=inputs2,
        num_slices=2,
        checkpoint=checkpoint,
    )


def test_transform_with_gets_an_empty_rdd_of_no_partition_for_a_missing_side(sc):
    def build(d, d2):
        def tag(a, b):
            seen = "None" if b is None else ("rdd", b.getNumPartitions())
            return a.map(lambda x: (seen, x))

        return d.transformWith(tag, none_when_empty(d2))

    assert run(sc, build, [[1], [2], [3]], 4, inputs2=[[10], [], [30]]) == [
        [(("rdd", 2), 1)],
        [(("rdd", 0), 2)],
        [(("rdd", 2), 3)],
        [],
    ]


def test_a_union_keeps_the_side_that_has_an_rdd(sc):
    build = lambda d, d2: d.union(none_when_empty(d2))  # noqa: E731
    assert run(sc, build, [[1], [2], [3]], 4, inputs2=[[10], [], [30]]) == [[1, 10], [2], [3, 30], []]


def test_a_window_over_no_rdd_is_an_empty_rdd_of_no_partition(sc):
    build = lambda d: none_when_empty(d).window(1.0, 0.5).glom()  # noqa: E731
    assert run(sc, build, [[1, 2], [], [3], [], [4], []], 8) == [
        [[1], [2]],
        [[1], [2]],
        [[], [3]],
        [[], [3]],
        [[], [4]],
        [[], [4]],
        [],
        [],
    ]


def test_the_context_s_union_fails_the_batch_naming_the_parent_without_an_rdd(sc):
    build = lambda d, d2: d.context().union(none_when_empty(d), d2)  # noqa: E731
    with pytest.raises(ValueError, match="got no RDD of its parent transform stream .* return an empty RDD"):
        run(sc, build, [[1], []], 2, inputs2=[[10], [20]])


def test_the_context_s_transform_passes_the_rdds_as_a_tuple(sc):
    def build(d, d2):
        def pairs(rdds):
            kind = type(rdds).__name__
            return rdds[0].cartesian(rdds[1]).map(lambda pair: (kind, pair))

        return d.context().transform([d, d2], pairs)

    assert run(sc, build, [[1, 2], [3]], 2, inputs2=[[10], []]) == [
        [("tuple", (1, 10)), ("tuple", (2, 10))],
        [],
    ]


def test_a_key_the_initial_state_gives_twice_starts_from_its_first_value(sc):
    def build(d):
        initial = d.context().sparkContext.parallelize([("a", 100), ("a", 200), ("z", 7), ("y", None)], 3)
        return d.updateStateByKey(
            lambda values, state: None if state == 7 else (state, values), initialRDD=initial, numPartitions=2
        )

    assert run(sc, build, [[("a", 1)], [], [("q", 5)]], 3, checkpoint=True) == [
        [("a", (100, [1])), ("y", (None, []))],
        [("a", ((100, [1]), [])), ("y", ((None, []), []))],
        [("q", (None, [5])), ("a", (((100, [1]), []), [])), ("y", (((None, []), []), []))],
    ]
