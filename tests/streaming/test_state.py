"""updateStateByKey (against PySpark 4's outputs) and mapWithState (Scala Spark's semantics)."""

from __future__ import annotations

import pytest

from ember.streaming import State, StateSpec
from ember.streaming.map_with_state import StateNotSetError
from ember.testing import advance_batches, collect_outputs, manual_streaming_context, run_stream

EVENTS = [[("a", 1), ("b", 1)], [("a", 1)], [], [("b", 1), ("c", 5)]]


def run(sc, build, inputs, batches, sort=True):
    outputs = run_stream(sc, inputs, build, batches, batch_duration=0.5, num_slices=2, checkpoint=True)
    return [sorted(batch, key=str) for batch in outputs] if sort else outputs


def test_update_state_by_key_calls_every_key_every_batch(sc):
    def remember_values(values, state):
        return (state or []) + [list(values)]

    assert run(sc, lambda d: d.updateStateByKey(remember_values), EVENTS, 5) == [
        [("a", [[1]]), ("b", [[1]])],
        [("a", [[1], [1]]), ("b", [[1], []])],
        [("a", [[1], [1], []]), ("b", [[1], [], []])],
        [("a", [[1], [1], [], []]), ("b", [[1], [], [], [1]]), ("c", [[5]])],
        [("a", [[1], [1], [], [], []]), ("b", [[1], [], [], [1], []]), ("c", [[5], []])],
    ]


def test_update_state_by_key_removes_keys_on_none_and_starts_from_initial_rdd(sc):
    def add_up_to_three(values, state):
        total = (state or 0) + sum(values)
        return None if total >= 3 else total

    def build(d):
        return d.updateStateByKey(add_up_to_three, initialRDD=sc.parallelize([("z", 0), ("a", 1)]))

    assert run(sc, build, EVENTS, 5) == [
        [("a", 2), ("b", 1), ("z", 0)],
        [("b", 1), ("z", 0)],
        [("b", 1), ("z", 0)],
        [("b", 2), ("z", 0)],
        [("b", 2), ("z", 0)],
    ]


def test_update_state_by_key_partitions_and_initial_list(sc2):
    count = lambda values, state: (state or 0) + len(values)  # noqa: E731
    inputs = [[("a", 1), ("b", 1), ("c", 1)], [("a", 1)], []]
    partitions = lambda d, **kw: d.updateStateByKey(count, **kw).glom().map(sorted)  # noqa: E731
    assert run(sc2, lambda d: partitions(d, numPartitions=3), inputs, 2, sort=False) == [
        [[("b", 1)], [("a", 1), ("c", 1)], []],
        [[("b", 1)], [("a", 2), ("c", 1)], []],
    ]
    assert run(sc2, partitions, inputs, 2, sort=False) == [
        [[("b", 1), ("c", 1)], [("a", 1)]],
        [[("b", 1), ("c", 1)], [("a", 2)]],
    ]
    assert run(sc2, lambda d: d.updateStateByKey(count, initialRDD=[("z", 10)]), inputs, 2) == [
        [("a", 1), ("b", 1), ("c", 1), ("z", 10)],
        [("a", 2), ("b", 1), ("c", 1), ("z", 10)],
    ]


@pytest.mark.parametrize(
    "stateful",
    [
        lambda d: d.updateStateByKey(lambda values, state: 0),
        lambda d: d.mapWithState(StateSpec.function(lambda key, value, state: key)),
        lambda d: d.map(str).checkpoint(2),
    ],
)
def test_stateful_streams_need_a_checkpoint_directory(local_sc, stateful):
    ssc = manual_streaming_context(local_sc, 1)
    stateful(ssc.queueStream([[("a", 1)]])).pprint()
    with pytest.raises(
        ValueError,
        match=r"The checkpoint directory has not been set. Please set it by "
        r"StreamingContext.checkpoint\(\)",
    ):
        ssc.start()


def test_checkpoint_interval_must_be_a_multiple_of_the_slide(local_sc):
    stream = manual_streaming_context(local_sc, 1).queueStream([[1]])
    with pytest.raises(
        ValueError,
        match=r"checkpoint interval of .* \(1500 ms\) must be a multiple of its "
        r"slide duration \(1000 ms\)",
    ):
        stream.checkpoint(1.5)


def running_count(key, value, state):
    if value == "stop":
        state.remove()
        return (key, "removed")
    total = state.getOption() or 0
    state.update(total + value)
    return (key, total + value)


def run_map_with_state(sc, spec, inputs, batches, checkpoint_every=None):
    ssc = manual_streaming_context(sc, 1, checkpoint_dir=_tmp_dir())
    mapped = ssc.queueStream([sc.parallelize(batch, 2) for batch in inputs]).mapWithState(spec)
    if checkpoint_every:
        mapped.checkpoint(checkpoint_every)
    outputs = collect_outputs(mapped)
    snapshots = collect_outputs(mapped.stateSnapshots())
    ssc.start()
    advance_batches(ssc, batches)
    ssc.stop(stopSparkContext=False)
    return [sorted(b, key=str) for b in outputs], [sorted(b, key=str) for b in snapshots]


def _tmp_dir():
    import tempfile

    return tempfile.mkdtemp(prefix="ember-mws-")


def test_map_with_state_maps_records_with_their_state(sc):
    inputs = [[("a", 1), ("b", 1)], [("a", 1), ("a", 5)], [("b", "stop")], []]
    mapped, snapshots = run_map_with_state(sc, StateSpec.function(running_count), inputs, 4)
    assert mapped == [[("a", 1), ("b", 1)], [("a", 2), ("a", 7)], [("b", "removed")], []]
    assert snapshots == [[("a", 1), ("b", 1)], [("a", 7), ("b", 1)], [("a", 7)], [("a", 7)]]


def test_map_with_state_starts_from_the_initial_state_in_the_given_partitions(local_sc):
    spec = (
        StateSpec.function(running_count)
        .initialState(local_sc.parallelize([("a", 10), ("z", 0)]))
        .numPartitions(3)
    )
    mapped, snapshots = run_map_with_state(local_sc, spec, [[("a", 1)]], 1)
    assert mapped == [[("a", 11)]]
    assert snapshots == [[("a", 11), ("z", 0)]]
    spec = StateSpec.function(running_count).initialState([("q", 1)]).numPartitions(3)
    ssc = manual_streaming_context(local_sc, 1, checkpoint_dir=_tmp_dir())
    partitions = collect_outputs(
        ssc.queueStream([[("q", 1)]]).mapWithState(spec).stateSnapshots().glom().map(len)
    )
    ssc.start()
    advance_batches(ssc, 1)
    ssc.stop(stopSparkContext=False)
    assert sorted(partitions[0]) == [0, 0, 1]


def note_timeouts(key, value, state):
    if state.isTimingOut():
        with pytest.raises(RuntimeError, match="Cannot update the state of a key that is timing out"):
            state.update(0)
        return (key, "timed out", state.get())
    return running_count(key, value, state)


def test_idle_keys_time_out_when_the_state_is_checkpointed(sc):
    inputs = [[("a", 1), ("b", 1)], [("b", 1)], [("b", 1)], [("b", 1)], [("b", 1)]]
    spec = StateSpec.function(note_timeouts).timeout(2)
    mapped, snapshots = run_map_with_state(sc, spec, inputs, 5, checkpoint_every=1)
    # "a" was last updated at 1 s; at 4 s it has been idle for more than 2 s
    assert mapped == [
        [("a", 1), ("b", 1)],
        [("b", 2)],
        [("b", 3)],
        [("a", "timed out", 1), ("b", 4)],
        [("b", 5)],
    ]
    assert snapshots[2:] == [[("a", 1), ("b", 3)], [("b", 4)], [("b", 5)]]


def test_by_default_timeouts_are_found_every_ten_batches(local_sc):
    spec = StateSpec.function(note_timeouts).timeout(2)
    mapped, _ = run_map_with_state(local_sc, spec, [[("a", 1)]], 11)
    assert [i for i, batch in enumerate(mapped) if batch] == [0, 9]
    assert mapped[9] == [("a", "timed out", 1)]


def test_a_function_of_the_time_emits_only_what_it_returns(local_sc):
    def evens_only(time, key, value, state):
        state.update(value)
        return (time.second, key, value) if value % 2 == 0 else None

    mapped, snapshots = run_map_with_state(
        local_sc, StateSpec.function(evens_only), [[("a", 1), ("b", 2)], [("a", 4)]], 2
    )
    assert mapped == [[(1, "b", 2)], [(2, "a", 4)]]
    assert snapshots == [[("a", 1), ("b", 2)], [("a", 4), ("b", 2)]]


def test_state_rules():
    state = State()
    assert not state.exists() and state.getOption() is None
    with pytest.raises(StateNotSetError, match="State is not set"):
        state.get()
    state.update(3)
    assert state.exists() and state.get() == 3
    state.remove()
    with pytest.raises(RuntimeError, match="Cannot update the state after it has been removed"):
        state.update(4)
    with pytest.raises(RuntimeError, match="Cannot remove the state that has already been removed"):
        state.remove()


def test_state_spec_validates_its_settings(local_sc):
    with pytest.raises(TypeError, match=r"f\(key, value, state\) or f\(time, key, value, state\)"):
        StateSpec.function(lambda key, value: None)
    with pytest.raises(ValueError, match="numPartitions must be a positive int, got 0"):
        StateSpec.function(running_count).numPartitions(0)
    with pytest.raises(ValueError, match="StateSpec timeout must be positive"):
        StateSpec.function(running_count).timeout(0)
    with pytest.raises(TypeError, match="mapWithState expects a StateSpec"):
        manual_streaming_context(local_sc, 1).queueStream([[1]]).mapWithState(running_count)


def test_state_lineage_stays_short_over_long_runs(local_sc):
    """Each batch's state is cut from its ancestors once cached; otherwise, after a few
    hundred batches, tasks carrying the lineage could no longer be pickled."""
    ssc = manual_streaming_context(local_sc, 1, checkpoint_dir=_tmp_dir())
    counts = ssc.queueStream([[(i % 3, 1) for i in range(10)]] * 300).updateStateByKey(
        lambda values, state: (state or 0) + sum(values)
    )
    outputs = collect_outputs(counts)
    ssc.start()
    advance_batches(ssc, 300)
    latest = counts.state_at(ssc.clock.time_ms())
    ssc.stop(stopSparkContext=False)
    assert sorted(outputs[-1]) == [(0, 1200), (1, 900), (2, 900)]
    assert latest.dependencies() == []
