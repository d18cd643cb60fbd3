"""updateStateByKey, mapWithState and the inverse window keep each state partition in the
memory of the worker that computed it; killing that worker mid-job must not change a single
result.

The state is encoded (and its lineage cut) only at its checkpoint times, every 2 batches here:
after the kill, the lost partition of batch 3 is computed again from the state of batch 2 and
batch 3's inputs, then batch 4 goes on from it.  Expected values are PySpark's (mapWithState:
Scala Spark's).
"""

from __future__ import annotations

import operator

from kept_state_checks import RUNNING_COUNTS, WORDS, CallLog, kill_a_worker_that_called

from ember import SparkContext
from ember.streaming import StateSpec
from ember.testing import advance_batches, collect_outputs, manual_streaming_context


def run_killing_a_state_worker(tmp_path, build, batches: int) -> list[list]:
    """Each batch's sorted output of ``build(pairs, calls)`` on local[2], a worker that ran
    its state's functions (``calls``) killed after 3 batches."""
    calls = CallLog(tmp_path / "calls")
    sc = SparkContext("local[2]", "state-worker-loss")
    try:
        ssc = manual_streaming_context(sc, 1, str(tmp_path / "checkpoint"))
        words = ssc.queueStream([sc.parallelize(batch, 2) for batch in WORDS[:batches]])
        outputs = collect_outputs(build(words.map(lambda word: (word, 1)), calls))
        ssc.start()
        advance_batches(ssc, 3)
        kill_a_worker_that_called(sc, calls)
        advance_batches(ssc, batches - 3)
        ssc.stop(stopSparkContext=False)
        assert sc.executor.workers_replaced == 1
    finally:
        sc.stop()
    return [sorted(batch) for batch in outputs]


def test_killing_a_worker_that_holds_state_changes_no_result(tmp_path):
    def build(pairs, calls):
        def count(new_values, state):
            calls.record("update")
            return sum(new_values) + (state or 0)

        return pairs.updateStateByKey(count).checkpoint(2)

    assert run_killing_a_state_worker(tmp_path, build, 5) == RUNNING_COUNTS[:5]


def test_killing_a_worker_that_holds_map_with_state_changes_no_result(tmp_path):
    def build(pairs, calls):
        def running_count(key, value, state):
            calls.record(key)
            total = (state.getOption() or 0) + value
            state.update(total)
            return (key, total)

        mapped = pairs.mapWithState(StateSpec.function(running_count)).checkpoint(2)
        return mapped.union(mapped.stateSnapshots().map(lambda kv: ("snapshot", kv)))

    assert run_killing_a_state_worker(tmp_path, build, 6) == [
        [("a", 1), ("a", 2), ("b", 1), ("snapshot", ("a", 2)), ("snapshot", ("b", 1))],
        [("b", 2), ("c", 1), ("snapshot", ("a", 2)), ("snapshot", ("b", 2)), ("snapshot", ("c", 1))],
        [
            ("a", 3),
            ("d", 1),
            ("snapshot", ("a", 3)),
            ("snapshot", ("b", 2)),
            ("snapshot", ("c", 1)),
            ("snapshot", ("d", 1)),
        ],
        [
            ("c", 2),
            ("e", 1),
            ("e", 2),
            ("snapshot", ("a", 3)),
            ("snapshot", ("b", 2)),
            ("snapshot", ("c", 2)),
            ("snapshot", ("d", 1)),
            ("snapshot", ("e", 2)),
        ],
        [
            ("snapshot", ("a", 3)),
            ("snapshot", ("b", 2)),
            ("snapshot", ("c", 2)),
            ("snapshot", ("d", 1)),
            ("snapshot", ("e", 2)),
        ],
        [
            ("a", 4),
            ("snapshot", ("a", 4)),
            ("snapshot", ("b", 2)),
            ("snapshot", ("c", 2)),
            ("snapshot", ("d", 1)),
            ("snapshot", ("e", 2)),
        ],
    ]


def test_killing_a_worker_that_holds_a_window_changes_no_result(tmp_path):
    def build(pairs, calls):
        def positive(pair):
            calls.record(pair[0])
            return pair[1] > 0

        return pairs.reduceByKeyAndWindow(operator.add, operator.sub, 5, 1, filterFunc=positive).checkpoint(2)

    assert run_killing_a_state_worker(tmp_path, build, 6) == RUNNING_COUNTS[:5] + [
        [("a", 2), ("b", 1), ("c", 2), ("d", 1), ("e", 2)],  # the first batch left
    ]
