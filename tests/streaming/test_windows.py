"""Window operations, against PySpark 4's outputs for the same programs (batch 0.5 s); the
stateful ones (an inverse function) on every master."""

from __future__ import annotations

import operator

import pytest

from ember.testing import manual_streaming_context, run_stream

KEYED = [[("a", 1)], [("a", 2), ("b", 1)], [("a", 4)], [], [("b", 8)], [("a", 16)], [], []]
LETTERS = [["a"], ["a", "b"], ["b"], [], ["c"], [], [], []]


def run(sc, build, inputs, batches):
    outputs = run_stream(sc, inputs, build, batches, batch_duration=0.5, num_slices=2, checkpoint=True)
    return [sorted(batch, key=str) for batch in outputs]


def test_window_covers_the_last_batches_and_starts_partial(sc2):
    # a 1 s slide over 0.5 s batches: one window every two batches
    assert run(sc2, lambda d: d.window(1.0, 1.0), LETTERS, 10) == [["a", "a", "b"], ["b"], ["c"], [], []]
    assert run(sc2, lambda d: d.window(1.5), LETTERS, 5) == [
        ["a"],
        ["a", "a", "b"],
        ["a", "a", "b", "b"],
        ["a", "b", "b"],
        ["b", "c"],
    ]


def test_window_batch_times_are_multiples_of_the_slide(sc2):
    def build(d):
        return d.window(1.0, 1.0).transform(lambda t, rdd: rdd.context.parallelize([t.microsecond]))

    assert run(sc2, build, LETTERS, 6) == [[0], [0], [0]]


def test_reduce_by_key_and_window_applies_the_inverse_only_for_windows_of_five_slides(sc):
    # invFunc adds 1000 so that the outputs show when Spark took the incremental path
    inverse = lambda a, b: a - b + 1000  # noqa: E731
    assert run(sc, lambda d: d.reduceByKeyAndWindow(operator.add, inverse, 2.5, 0.5), KEYED, 12) == [
        [("a", 1)],
        [("a", 3), ("b", 1)],
        [("a", 7), ("b", 1)],
        [("a", 7), ("b", 1)],
        [("a", 7), ("b", 9)],
        [("a", 1022), ("b", 9)],
        [("a", 2020), ("b", 1008)],
        [("a", 3016), ("b", 1008)],
        [("a", 3016), ("b", 1008)],
        [("a", 3016), ("b", 2000)],
        [("a", 4000), ("b", 2000)],
        [("a", 4000), ("b", 2000)],
    ]
    assert run(sc, lambda d: d.reduceByKeyAndWindow(operator.add, inverse, 1.0, 0.5), KEYED, 12) == [
        [("a", 1)],
        [("a", 3), ("b", 1)],
        [("a", 6), ("b", 1)],
        [("a", 4)],
        [("b", 8)],
        [("a", 16), ("b", 8)],
        [("a", 16)],
        [],
        [],
        [],
        [],
        [],
    ]


def test_reduce_by_key_and_window_drops_keys_by_filter_func(sc):
    def build(d):
        return d.reduceByKeyAndWindow(operator.add, operator.sub, 2.5, 0.5, filterFunc=lambda kv: kv[1] != 0)

    assert run(sc, build, KEYED, 12) == [
        [("a", 1)],
        [("a", 3), ("b", 1)],
        [("a", 7), ("b", 1)],
        [("a", 7), ("b", 1)],
        [("a", 7), ("b", 9)],
        [("a", 22), ("b", 9)],
        [("a", 20), ("b", 8)],
        [("a", 16), ("b", 8)],
        [("a", 16), ("b", 8)],
        [("a", 16)],
        [],
        [],
    ]


def test_reduce_by_key_and_window_without_inverse(sc2):
    assert run(sc2, lambda d: d.reduceByKeyAndWindow(operator.add, None, 1.0), KEYED, 5) == [
        [("a", 1)],
        [("a", 3), ("b", 1)],
        [("a", 6), ("b", 1)],
        [("a", 4)],
        [("b", 8)],
    ]


def test_count_by_window_keeps_a_zero_count_once_the_inverse_applies(sc):
    assert run(sc, lambda d: d.countByWindow(1.5, 0.5), LETTERS, 12) == [
        [1],
        [3],
        [4],
        [3],
        [2],
        [1],
        [1],
        [],
        [],
        [],
        [],
        [],
    ]
    assert run(sc, lambda d: d.countByWindow(3.0, 0.5), LETTERS, 12) == [
        [1],
        [3],
        [4],
        [4],
        [5],
        [5],
        [4],
        [2],
        [1],
        [1],
        [0],
        [0],
    ]


def test_count_by_value_and_group_by_key_and_reduce_by_window(sc):
    assert run(sc, lambda d: d.countByValueAndWindow(1.5, 0.5), LETTERS, 8) == [
        [("a", 1)],
        [("a", 2), ("b", 1)],
        [("a", 2), ("b", 2)],
        [("a", 1), ("b", 2)],
        [("b", 1), ("c", 1)],
        [("c", 1)],
        [("c", 1)],
        [],
    ]
    grouped = lambda d: d.map(lambda x: (x, 1)).groupByKeyAndWindow(1.5, 0.5).mapValues(list)  # noqa: E731
    assert run(sc, grouped, LETTERS, 8) == [
        [("a", [1])],
        [("a", [1, 1]), ("b", [1])],
        [("a", [1, 1]), ("b", [1, 1])],
        [("a", [1]), ("b", [1, 1])],
        [("b", [1]), ("c", [1])],
        [("c", [1])],
        [("c", [1])],
        [],
    ]
    assert run(sc, lambda d: d.reduceByWindow(operator.add, None, 1.0, 0.5), LETTERS, 8) == [
        ["a"],
        ["aab"],
        ["abb"],
        ["b"],
        ["c"],
        ["c"],
        [],
        [],
    ]


def test_group_by_key_and_window_with_the_inverse_path(sc):
    grouped = lambda d: d.groupByKeyAndWindow(2.5, 0.5).mapValues(list)  # noqa: E731
    assert run(sc, grouped, KEYED, 8) == [
        [("a", [1])],
        [("a", [1, 2]), ("b", [1])],
        [("a", [1, 2, 4]), ("b", [1])],
        [("a", [1, 2, 4]), ("b", [1])],
        [("a", [1, 2, 4]), ("b", [1, 8])],
        [("a", [2, 4, 16]), ("b", [1, 8])],
        [("a", [4, 16]), ("b", [8])],
        [("a", [16]), ("b", [8])],
    ]


def test_reduce_by_window_with_an_inverse_keeps_the_zero(sc):
    assert run(sc, lambda d: d.reduceByWindow(operator.add, operator.sub, 2.5, 0.5), [[1, 2], [3]], 8) == [
        [3],
        [6],
        [6],
        [6],
        [6],
        [3],
        [0],
        [0],
    ]


@pytest.mark.parametrize(
    "build, message",
    [
        (
            lambda d: d.window(0.75),
            r"window duration of the window on queue stream #0 \(slide 500 ms\) \(750 ms\) "
            r"must be a multiple of the slide duration of its parent DStream \(500 ms\)",
        ),
        (lambda d: d.window(1.5, 0.7), r"slide duration .*\(700 ms\) must be a multiple .*\(500 ms\)"),
        (
            lambda d: d.reduceByKeyAndWindow(operator.add, operator.sub, 1.2, 0.5),
            r"window duration .*\(1200 ms\)",
        ),
        (lambda d: d.countByWindow(1.0, 0.25), r"slide duration .*\(250 ms\)"),
        (lambda d: d.window(1.0005), r"windowDuration must be a whole number of milliseconds, got 1.0005"),
        (lambda d: d.window(-1), r"windowDuration must be positive"),
    ],
)
def test_window_durations_must_be_multiples_of_the_parent_slide(local_sc, build, message):
    stream = manual_streaming_context(local_sc, 0.5).queueStream([[1]])
    with pytest.raises(ValueError, match=message):
        build(stream)


def test_float_durations_are_exact_in_milliseconds(local_sc):
    stream = manual_streaming_context(local_sc, 0.1).queueStream([[1]])
    windowed = stream.window(0.3, 0.2)  # 0.3 / 0.1 is 2.9999999999999996 in floats
    assert (windowed.window_ms, windowed.slide_ms) == (300, 200)
    with pytest.raises(TypeError, match="windowDuration must be a number of seconds, got str"):
        stream.window("1")


def test_inverse_windows_need_a_checkpoint_directory(local_sc):
    ssc = manual_streaming_context(local_sc, 1)
    ssc.queueStream([[("a", 1)]]).reduceByKeyAndWindow(operator.add, operator.sub, 5, 1).pprint()
    with pytest.raises(ValueError, match="The checkpoint directory has not been set"):
        ssc.start()


def test_windows_sliding_by_several_batches(sc):
    inputs = [[("a", 1)], [("a", 2), ("b", 1)], [("a", 4)], [], [("b", 8)], [("a", 16)], [("a", 32)], []]
    inverse = lambda a, b: a - b + 1000  # noqa: E731
    assert run(sc, lambda d: d.reduceByKeyAndWindow(operator.add, inverse, 5.0, 1.0), inputs, 8) == [
        [("a", 3), ("b", 1)],
        [("a", 7), ("b", 1)],
        [("a", 23), ("b", 9)],
        [("a", 55), ("b", 9)],
    ]
    assert run(sc, lambda d: d.reduceByKeyAndWindow(operator.add, None, 3.0, 1.0), inputs, 8) == [
        [("a", 3), ("b", 1)],
        [("a", 7), ("b", 1)],
        [("a", 23), ("b", 9)],
        [("a", 52), ("b", 8)],
    ]
    assert run(sc, lambda d: d.window(2.0, 1.0).countByValue(), inputs, 8) == [
        [(("a", 1), 1), (("a", 2), 1), (("b", 1), 1)],
        [(("a", 1), 1), (("a", 2), 1), (("a", 4), 1), (("b", 1), 1)],
        [(("a", 16), 1), (("a", 4), 1), (("b", 8), 1)],
        [(("a", 16), 1), (("a", 32), 1), (("b", 8), 1)],
    ]
