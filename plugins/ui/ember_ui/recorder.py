"""What the UI knows of a job: a StreamingListener that keeps the recent batches, their output
operations and the receivers, as Spark's StreamingJobProgressListener does.

Listener callbacks run on the job's scheduler threads, so each one only copies a few numbers
under a lock; the pages, the JSON API and the metrics read snapshots from other threads.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ember.streaming.listener import StreamingListener

#: Spark's spark.streaming.ui.retainedBatches
DEFAULT_RETAINED_BATCHES = 1000


@dataclass
class OperationRecord:
    op_id: int
    name: str
    description: str
    start_ms: int | None = None
    end_ms: int | None = None
    failure: str | None = None


@dataclass
class BatchRecord:
    """One batch as the UI shows it; ``start_ms``/``end_ms`` stay None until known."""

    time_ms: int
    submission_ms: int
    records_by_stream: dict[int, int]
    operations: dict[int, OperationRecord]
    start_ms: int | None = None
    end_ms: int | None = None

    @property
    def records(self) -> int:
        return sum(self.records_by_stream.values())

    @property
    def scheduling_delay_ms(self) -> int | None:
        return None if self.start_ms is None else self.start_ms - self.time_ms

    @property
    def processing_ms(self) -> int | None:
        return None if self.start_ms is None or self.end_ms is None else self.end_ms - self.start_ms

    @property
    def total_delay_ms(self) -> int | None:
        return None if self.end_ms is None else self.end_ms - self.time_ms

    @property
    def failed(self) -> bool:
        return any(op.failure is not None for op in self.operations.values())

    @property
    def status(self) -> str:
        if self.end_ms is not None:
            return "COMPLETED"
        return "PROCESSING" if self.start_ms is not None else "QUEUED"


@dataclass
class ReceiverRecord:
    stream_id: int
    name: str
    active: bool
    executor_id: str
    host: str
    last_error_message: str = ""
    last_error: str = ""
    last_error_time_ms: int = -1


@dataclass
class Totals:
    """Counts since the job started (not bounded by the retained batches)."""

    completed_batches: int = 0
    failed_batches: int = 0
    received_records: int = 0
    processed_records: int = 0
    records_by_stream: dict[int, int] = field(default_factory=dict)


class JobRecorder(StreamingListener):
    def __init__(self, retained_batches: int = DEFAULT_RETAINED_BATCHES):
        self._lock = threading.Lock()
        self.started_ms: int = int(time.time() * 1000)
        self._active: dict[int, BatchRecord] = {}
        self._completed: collections.deque[BatchRecord] = collections.deque(maxlen=retained_batches)
        self._receivers: dict[int, ReceiverRecord] = {}
        self._totals = Totals()
        #: called with each completed batch (the metrics observe its delays)
        self.on_completed: list[Callable[[BatchRecord], None]] = []

    # -- listener callbacks (scheduler threads) ------------------------------------------------
    def onStreamingStarted(self, streamingStarted):
        self.started_ms = streamingStarted.time()

    def onBatchSubmitted(self, batchSubmitted):
        info = batchSubmitted.batchInfo()
        records = {i: inp.numRecords() for i, inp in info.streamIdToInputInfo().items()}
        operations = {
            i: OperationRecord(i, op.name(), op.description())
            for i, op in info.outputOperationInfos().items()
        }
        batch = BatchRecord(info.batchTime().milliseconds(), info.submissionTime(), records, operations)
        with self._lock:
            self._active[batch.time_ms] = batch
            self._totals.received_records += batch.records

    def onBatchStarted(self, batchStarted):
        info = batchStarted.batchInfo()
        with self._lock:
            batch = self._active.get(info.batchTime().milliseconds())
            if batch is not None:
                batch.start_ms = info.processingStartTime()

    def onOutputOperationStarted(self, outputOperationStarted):
        self._update_operation(outputOperationStarted.outputOperationInfo())

    def onOutputOperationCompleted(self, outputOperationCompleted):
        self._update_operation(outputOperationCompleted.outputOperationInfo())

    def _update_operation(self, info) -> None:
        with self._lock:
            batch = self._active.get(info.batchTime().milliseconds())
            if batch is None:
                return
            op = batch.operations.setdefault(
                info.id(), OperationRecord(info.id(), info.name(), info.description())
            )
            op.start_ms = None if info.startTime() < 0 else info.startTime()
            op.end_ms = None if info.endTime() < 0 else info.endTime()
            op.failure = info.failureReason()

    def onBatchCompleted(self, batchCompleted):
        info = batchCompleted.batchInfo()
        with self._lock:
            batch = self._active.pop(info.batchTime().milliseconds(), None)
            if batch is None:
                return
            batch.start_ms = info.processingStartTime()
            batch.end_ms = info.processingEndTime()
            self._completed.append(batch)
            totals = self._totals
            totals.completed_batches += 1
            totals.failed_batches += batch.failed
            totals.processed_records += batch.records
            for stream_id, count in batch.records_by_stream.items():
                totals.records_by_stream[stream_id] = totals.records_by_stream.get(stream_id, 0) + count
        for observe in self.on_completed:
            observe(batch)

    def onReceiverStarted(self, receiverStarted):
        self._update_receiver(receiverStarted.receiverInfo())

    def onReceiverError(self, receiverError):
        self._update_receiver(receiverError.receiverInfo())

    def onReceiverStopped(self, receiverStopped):
        self._update_receiver(receiverStopped.receiverInfo())

    def _update_receiver(self, info) -> None:
        record = ReceiverRecord(
            info.streamId(),
            info.name(),
            info.active(),
            info.executorId(),
            info.location(),
            info.lastErrorMessage(),
            info.lastError(),
            info.lastErrorTime(),
        )
        with self._lock:
            self._receivers[record.stream_id] = record

    # -- snapshots (any thread) ----------------------------------------------------------------
    def batches(self) -> tuple[list[BatchRecord], list[BatchRecord]]:
        """(active batches oldest first, retained completed batches oldest first)."""
        with self._lock:
            return sorted(self._active.values(), key=lambda b: b.time_ms), list(self._completed)

    def batch(self, time_ms: int) -> BatchRecord | None:
        with self._lock:
            if time_ms in self._active:
                return self._active[time_ms]
            return next((b for b in self._completed if b.time_ms == time_ms), None)

    def receivers(self) -> list[ReceiverRecord]:
        with self._lock:
            return [self._receivers[i] for i in sorted(self._receivers)]

    def totals(self) -> Totals:
        with self._lock:
            t = self._totals
            return Totals(
                t.completed_batches,
                t.failed_batches,
                t.received_records,
                t.processed_records,
                dict(t.records_by_stream),
            )
