"""updateStateByKey keeps each state partition in the memory of the worker that computed it;
killing that worker mid-job must not change a single result.

The state is encoded (and its lineage cut) only at its checkpoint times, every 2 batches here:
after the kill, the lost partition of batch 3 is computed again from the state of batch 2 and
batch 3's new values, then batch 4 goes on from it.  Expected values are PySpark's.
"""

from __future__ import annotations

import os
import signal

from ember import SparkContext
from ember.testing import advance_batches, collect_outputs, manual_streaming_context

BATCHES = [["a", "b", "a"], ["b", "c"], ["a", "d"], ["c", "e", "e"], []]


def test_killing_a_worker_that_holds_state_changes_no_result(tmp_path):
    hosts = tmp_path / "hosts"
    hosts.mkdir()
    where = str(hosts)

    def count(new_values, state):
        open(os.path.join(where, str(os.getpid())), "w").close()  # which workers hold state
        return sum(new_values) + (state or 0)

    sc = SparkContext("local[2]", "state-worker-loss")
    try:
        ssc = manual_streaming_context(sc, 1, str(tmp_path / "checkpoint"))
        words = ssc.queueStream([sc.parallelize(batch, 2) for batch in BATCHES])
        totals = words.map(lambda word: (word, 1)).updateStateByKey(count).checkpoint(2)
        outputs = collect_outputs(totals)
        ssc.start()
        advance_batches(ssc, 3)
        holders = {int(name) for name in os.listdir(hosts)} & set(sc.executor.worker_pids)
        assert holders  # the state lives in the workers
        os.kill(min(holders), signal.SIGKILL)
        advance_batches(ssc, 2)
        ssc.stop(stopSparkContext=False)
        assert sc.executor.workers_replaced == 1
    finally:
        sc.stop()
    assert [sorted(batch) for batch in outputs] == [
        [("a", 2), ("b", 1)],
        [("a", 2), ("b", 2), ("c", 1)],
        [("a", 3), ("b", 2), ("c", 1), ("d", 1)],
        [("a", 3), ("b", 2), ("c", 2), ("d", 1), ("e", 2)],
        [("a", 3), ("b", 2), ("c", 2), ("d", 1), ("e", 2)],
    ]
