"""The ember_streaming_started hook and the read-only status snapshots a monitor reads."""

from __future__ import annotations

import tempfile

from ember import SparkContext
from ember.streaming import executor_status, source_status, state_status
from ember.streaming.listener import StreamingListener
from ember.testing import advance_batches, manual_streaming_context, run_stream


class BatchCount(StreamingListener):
    def __init__(self):
        self.started, self.batches = 0, []

    def onStreamingStarted(self, streamingStarted):
        self.started += 1

    def onBatchCompleted(self, batchCompleted):
        self.batches.append(batchCompleted.batchInfo().batchTime().milliseconds())


def _word_counts(ssc):
    lines = ssc.queueStream([["a b a"], ["b c"], []])
    counts = (
        lines.flatMap(str.split)
        .map(lambda w: (w, 1))
        .updateStateByKey(lambda new, old: sum(new) + (old or 0))
        .checkpoint(1)
    )  # encoded (measured) every batch
    counts.foreachRDD(lambda rdd: None)


def test_a_monitor_starts_with_the_context_sees_every_batch_and_is_stopped(plugins, make_plugin):
    seen, stops, snapshots = [], [], []

    def started(ssc):
        listener = BatchCount()
        ssc.addStreamingListener(listener)
        seen.append((ssc, listener))
        return lambda: stops.append(len(listener.batches))

    plugins(monitor=make_plugin("monitor", ember_streaming_started=started))
    with SparkContext("local[1]") as sc:
        ssc = manual_streaming_context(sc, 1, checkpoint_dir=tempfile.mkdtemp(prefix="ember-hook-"))
        _word_counts(ssc)
        ssc.start()
        advance_batches(ssc, 2)
        snapshots.append((state_status(ssc), source_status(ssc), executor_status(sc)))
        ssc.stop(stopSparkContext=False)
    [(context, listener)] = seen
    assert context is ssc and listener.started == 1 and listener.batches == [1000, 2000]
    assert stops == [2]
    [(states, sources, executor)] = snapshots
    assert [(s.batch_time_ms, s.keys) for s in states] == [(2000, 3)]  # a, b, c
    assert states[0].bytes > 0
    assert [(s.stream_id, s.kind) for s in sources] == [(0, "queue")]
    assert executor.master == "local[1]" and executor.shm_bytes is None
    [driver] = executor.workers
    assert driver.worker_id == "driver" and driver.tasks > 0 and not driver.running_task


def test_a_failing_monitor_is_reported_and_the_job_runs_on(plugins, make_plugin):
    def broken(ssc):
        raise RuntimeError("no port for the monitor")

    manager = plugins(broken=make_plugin("broken", ember_streaming_started=broken))
    with SparkContext("local[1]") as sc:
        ssc = manual_streaming_context(sc, 1)
        outputs = []
        ssc.queueStream([[1], [2]]).foreachRDD(lambda rdd: outputs.append(rdd.collect()))
        ssc.start()
        advance_batches(ssc, 2)
        ssc.stop(stopSparkContext=False)
    assert outputs == [[1], [2]]
    [record] = manager.plugins()
    assert record.errors == ["hook ember_streaming_started failed: RuntimeError: no port for the monitor"]


def test_the_test_kit_starts_no_monitor(plugins, make_plugin):
    calls = []
    plugins(monitor=make_plugin("monitor", ember_streaming_started=lambda ssc: calls.append(ssc)))
    with SparkContext("local[1]") as sc:
        assert run_stream(sc, [[1, 2]], lambda d: d.map(lambda x: x + 1)) == [[2, 3]]
    assert calls == []
