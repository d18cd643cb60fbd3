"""``/metrics``: the job in Prometheus' text format, from a registry of its own (never the
process-wide default one, so two jobs in one process, or a test, never share series).

Batch figures are observed as each batch completes (histograms, counters); what the job holds
now (state, executor workers, receiver restarts) is read at scrape time by a collector.
"""

from __future__ import annotations

import threading

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from ember.streaming import executor_status, source_status, state_status
from ember_ui.recorder import BatchRecord, JobRecorder

#: seconds; batch delays from a few milliseconds up to minutes behind
DELAY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


class JobMetrics:
    def __init__(self, ssc, recorder: JobRecorder):
        self.registry = CollectorRegistry(auto_describe=True)
        self.processing = Histogram(
            "ember_streaming_batch_processing_seconds",
            "Processing time of each completed batch",
            registry=self.registry,
            buckets=DELAY_BUCKETS,
        )
        self.scheduling = Histogram(
            "ember_streaming_batch_scheduling_delay_seconds",
            "How long each batch waited before it started",
            registry=self.registry,
            buckets=DELAY_BUCKETS,
        )
        self.total = Histogram(
            "ember_streaming_batch_total_delay_seconds",
            "From batch time to the end of processing",
            registry=self.registry,
            buckets=DELAY_BUCKETS,
        )
        self.completed = Counter(
            "ember_streaming_batches_completed", "Batches completed (failed ones too)", registry=self.registry
        )
        self.failed = Counter(
            "ember_streaming_batches_failed", "Batches with a failed output operation", registry=self.registry
        )
        self.records = Counter(
            "ember_streaming_records_in",
            "Records each input stream put into batches",
            ["stream_id"],
            registry=self.registry,
        )
        self.last_batch = Gauge(
            "ember_streaming_last_completed_batch_time_seconds",
            "Batch time of the latest completed batch (what the counters include)",
            registry=self.registry,
        )
        self.registry.register(_JobStateCollector(ssc))
        # a scrape sees a batch's figures all or not at all
        self._lock = threading.Lock()
        recorder.on_completed.append(self.observe)

    def observe(self, batch: BatchRecord) -> None:
        with self._lock:
            self._observe(batch)

    def _observe(self, batch: BatchRecord) -> None:
        processing_ms, scheduling_ms = batch.processing_ms, batch.scheduling_delay_ms
        total_ms = batch.total_delay_ms
        assert (
            processing_ms is not None and scheduling_ms is not None and total_ms is not None
        ), "onBatchCompleted gave the batch its start and end"
        self.processing.observe(processing_ms / 1000)
        self.scheduling.observe(scheduling_ms / 1000)
        self.total.observe(total_ms / 1000)
        self.completed.inc()
        if batch.failed:
            self.failed.inc()
        for stream_id, count in batch.records_by_stream.items():
            self.records.labels(stream_id=str(stream_id)).inc(count)
        self.last_batch.set(batch.time_ms / 1000)

    def exposition(self) -> bytes:
        with self._lock:
            return generate_latest(self.registry)


class _JobStateCollector(Collector):
    """What the job holds at scrape time: state, receivers, executor workers."""

    def __init__(self, ssc):
        self.ssc = ssc

    def describe(self):
        return []

    def collect(self):
        keys = GaugeMetricFamily(
            "ember_streaming_state_keys",
            "Keys in the latest state of each stateful stream",
            labels=["stream_id"],
        )
        size = GaugeMetricFamily(
            "ember_streaming_state_bytes",
            "Stored bytes of its newest encoded state (written at checkpoint times)",
            labels=["stream_id"],
        )
        for state in state_status(self.ssc):
            keys.add_metric([str(state.stream_id)], state.keys)
            if state.bytes is not None:
                size.add_metric([str(state.stream_id)], state.bytes)
        restarts = CounterMetricFamily(
            "ember_streaming_receiver_restarts", "Receiver restarts", labels=["stream_id", "receiver"]
        )
        for source in source_status(self.ssc):
            if source.restarts is not None:
                restarts.add_metric([str(source.stream_id), source.name], source.restarts)
        status = executor_status(self.ssc.sparkContext)
        tasks = CounterMetricFamily("ember_executor_tasks", "Tasks each worker ran", labels=["worker"])
        seconds = CounterMetricFamily(
            "ember_executor_task_seconds", "Time each worker spent in tasks", labels=["worker"]
        )
        for worker in status.workers:
            tasks.add_metric([worker.worker_id], worker.tasks)
            seconds.add_metric([worker.worker_id], worker.task_seconds)
        shm = GaugeMetricFamily("ember_executor_shm_bytes", "Bytes of blocks in shared memory")
        if status.shm_bytes is not None:
            shm.add_metric([], status.shm_bytes)
        return [keys, size, restarts, tasks, seconds, shm]
