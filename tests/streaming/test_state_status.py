"""What monitors see of a stateful stream's state between checkpoints: the state lives in the
workers' memory and is encoded only at checkpoint times, so its keys come from the tasks that
computed it, every batch, and its bytes are those of the newest encoded state (None before
the first checkpoint time; the default interval is 10 s of 1 s batches)."""

from __future__ import annotations

import operator

from ember.streaming import StateSpec, state_status
from ember.testing import advance_batches, manual_streaming_context

WORDS = [["a", "b"], ["c"], ["a", "d", "e"]]


def running_count(key, value, state):
    state.update((state.getOption() or 0) + value)
    return key


def sizes_after_each_batch(ssc, batches: int) -> list[list[tuple[int, int | None]]]:
    """(keys, bytes) of each stateful stream, in stream order, after each of ``batches``."""
    seen = []
    for _ in range(batches):
        advance_batches(ssc, 1)
        statuses = sorted(state_status(ssc), key=lambda status: status.stream_id)
        seen.append([(status.keys, status.bytes) for status in statuses])
    return seen


def test_the_keys_of_every_kept_state_are_known_each_batch(sc, tmp_path):
    ssc = manual_streaming_context(sc, 1, str(tmp_path / "checkpoint"))
    pairs = ssc.queueStream(WORDS).map(lambda word: (word, 1))
    pairs.updateStateByKey(lambda new, old: sum(new) + (old or 0)).foreachRDD(lambda rdd: None)
    pairs.mapWithState(StateSpec.function(running_count)).foreachRDD(lambda rdd: None)
    windowed = pairs.reduceByKeyAndWindow(operator.add, operator.sub, 5, 1, filterFunc=lambda kv: kv[1] > 0)
    windowed.foreachRDD(lambda rdd: None)
    ssc.start()
    try:
        before_a_checkpoint = sizes_after_each_batch(ssc, 3)
        advance_batches(ssc, 6)  # empty batches up to the first checkpoint time, 10 s
        [at_the_checkpoint] = sizes_after_each_batch(ssc, 1)
    finally:
        ssc.stop(stopSparkContext=False)
    # updateStateByKey, mapWithState, the window of the last 5 batches (kept from 5 slides on)
    assert before_a_checkpoint == [
        [(2, None), (2, None), (2, None)],
        [(3, None), (3, None), (3, None)],
        [(5, None), (5, None), (5, None)],
    ]
    assert [keys for keys, _ in at_the_checkpoint] == [5, 5, 0]  # the window's zeros filtered out
    assert all(stored is not None and stored > 0 for _, stored in at_the_checkpoint)
