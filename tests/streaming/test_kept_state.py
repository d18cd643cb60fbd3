"""Between checkpoints, the state of updateStateByKey, mapWithState and the inverse window
stays in the memory of the worker that computed each partition: the next batch's task runs
there and takes it as it is.  Were the state computed again from its lineage instead, the
user's functions would run again for the earlier batches (their calls are counted, with the
process that made each); were it stored encoded, the state RDDs would be in the block store.
No batch here is a checkpoint time (the default interval is 10 s of 1 s batches).
What functions may do with the kept state is checked on every master."""

from __future__ import annotations

import operator

from kept_state_checks import RUNNING_COUNTS, WORDS, CallLog

from ember.testing import run_stream


def run_kept(sc, build, batches):
    """Each batch's sorted output, and the stateful stream ``build`` returned second."""
    built = []

    def record(d):
        output, stateful = build(d.map(lambda word: (word, 1)))
        built.append(stateful)
        return output

    outputs = run_stream(sc, WORDS[:batches], record, batch_duration=1, num_slices=2, checkpoint=True)
    (stateful,) = built
    assert not [t for t, rdd in stateful.generated() if rdd.is_fully_cached()]  # never encoded
    return [sorted(batch) for batch in outputs]


def assert_each_key_stays_in_one_worker(calls: CallLog, keys: str) -> None:
    assert len(calls.by_pid()) <= 2
    assert all(len(calls.pids_of(key)) == 1 for key in keys)


def test_update_state_by_key_updates_the_kept_state(sc2, tmp_path):
    calls = CallLog(tmp_path / "calls")

    def count(values, state):
        calls.record(values[0][0] if values else "kept")  # which key got new values
        return len(values) + (state or 0)

    def build(pairs):
        totals = pairs.map(lambda kv: (kv[0], (kv[0], 1))).updateStateByKey(count)
        return totals, totals

    assert run_kept(sc2, build, 5) == RUNNING_COUNTS[:5]
    # once per key with state and each new key, per batch: 2 + 3 + 4 + 5 + 5
    assert calls.counts() == {"a": 2, "b": 2, "c": 2, "d": 1, "e": 1, "kept": 11}
    assert_each_key_stays_in_one_worker(calls, "abcde")


def test_map_with_state_maps_with_the_kept_state(sc2, tmp_path):
    from ember.streaming import StateSpec

    calls = CallLog(tmp_path / "calls")

    def running_count(key, value, state):
        calls.record(key)
        total = (state.getOption() or 0) + value
        state.update(total)
        return (key, total)

    def build(pairs):
        mapped = pairs.mapWithState(StateSpec.function(running_count))
        return mapped.stateSnapshots(), mapped._state_stream

    assert run_kept(sc2, build, 7) == RUNNING_COUNTS[:7]
    assert calls.counts() == {"a": 4, "b": 3, "c": 2, "d": 1, "e": 2, "f": 1}  # once per record
    assert_each_key_stays_in_one_worker(calls, "abcdef")


def test_the_inverse_window_is_made_from_the_kept_window(sc2, tmp_path):
    calls = CallLog(tmp_path / "calls")

    def subtract(window, leaving):
        calls.record("leaving")
        return window - leaving

    def positive(pair):
        calls.record(pair[0])
        return pair[1] > 0

    def build(pairs):
        counts = pairs.reduceByKeyAndWindow(operator.add, subtract, 5, 1, filterFunc=positive)
        return counts, counts

    assert run_kept(sc2, build, 8) == RUNNING_COUNTS[:5] + [  # until the first batch leaves
        [("a", 2), ("b", 1), ("c", 2), ("d", 1), ("e", 2)],
        [("a", 2), ("b", 1), ("c", 1), ("d", 1), ("e", 2), ("f", 1)],
        [("a", 1), ("b", 1), ("c", 1), ("e", 2), ("f", 1)],
    ]
    # invFunc once per key of the batch leaving (a, b; b, c; a, d), filterFunc once per key of
    # each window before filtering
    assert calls.counts() == {"leaving": 6, "a": 8, "b": 8, "c": 7, "d": 6, "e": 5, "f": 2}
    assert_each_key_stays_in_one_worker(calls, "abcdef")


def test_functions_may_change_the_state_values_they_are_given(sc):
    """PySpark decodes the state anew every batch, so a function that extends a state list in
    place changes no earlier batch's output; neither does it with the state kept."""

    def extend(values, state):
        state = [] if state is None else state
        state.extend(values)
        return state

    inputs = [[("a", 1)], [("a", 2)], [("a", 3)]]
    assert run_stream(sc, inputs, lambda d: d.updateStateByKey(extend), checkpoint=True) == [
        [("a", [1])],
        [("a", [1, 2])],
        [("a", [1, 2, 3])],
    ]

    def windowed(d):
        lists = d.mapValues(lambda value: [value])
        return lists.reduceByKeyAndWindow(lambda a, b: a.extend(b) or a, lambda a, b: a[len(b) :], 5, 1)

    assert run_stream(sc, inputs, windowed, checkpoint=True) == [
        [("a", [1])],
        [("a", [1, 2])],
        [("a", [1, 2, 3])],
    ]


def test_a_window_sliding_over_several_batches_keeps_them_unchanged(sc):
    """The window keeps each batch beside it until the batch leaves; reducing two entering
    batches with a function that extends its first list in place changes neither (PySpark's
    output, a 5 s window sliding by 1 s over 0.5 s batches)."""
    inputs = [
        [("a", 1)],
        [("a", 2), ("b", 1)],
        [("a", 3)],
        [("b", 2)],
        [("a", 4)],
        [("a", 5), ("b", 3)],
        [("a", 6)],
        [],
        [("b", 4)],
        [("a", 7)],
        [("a", 8)],
        [("b", 5)],
    ]

    def windowed(d):
        lists = d.mapValues(lambda value: [value])
        return lists.reduceByKeyAndWindow(lambda a, b: a.extend(b) or a, lambda a, b: a[len(b) :], 5, 1)

    outputs = run_stream(sc, inputs, windowed, num_batches=12, batch_duration=0.5, checkpoint=True)
    assert [sorted(batch) for batch in outputs] == [
        [("a", [1, 2]), ("b", [1])],
        [("a", [1, 2, 3]), ("b", [1, 2])],
        [("a", [1, 2, 3, 4, 5]), ("b", [1, 2, 3])],
        [("a", [1, 2, 3, 4, 5, 6]), ("b", [1, 2, 3])],
        [("a", [1, 2, 3, 4, 5, 6, 7]), ("b", [1, 2, 3, 4])],
        [("a", [3, 4, 5, 6, 7, 8]), ("b", [2, 3, 4, 5])],
    ]
