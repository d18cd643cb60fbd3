"""The JSON the pages read, shaped like Spark's REST API for streaming
(``org.apache.spark.status.api.v1.streaming``): StreamingStatistics, BatchInfo,
OutputOperationInfo and ReceiverInfo with Spark's field names, dates in Spark's format
(``2015-07-21T08:32:37.145GMT``) and absent Options as ``null``.

ember's additions live under ``/streaming/ember``: every input stream (not only receivers)
with its per-batch rates and last positions, the state of each stateful stream, and the
executor's workers.
"""

from __future__ import annotations

import time

from ember.streaming import batch_interval_ms, executor_status, source_status, state_status
from ember_ui.recorder import BatchRecord, JobRecorder


def spark_date(epoch_ms: int | None) -> str | None:
    if epoch_ms is None or epoch_ms < 0:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch_ms / 1000)) + f".{epoch_ms % 1000:03d}GMT"


def _average(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


class StreamingApi:
    def __init__(self, ssc, recorder: JobRecorder, app_id: str, app_name: str):
        self.ssc = ssc
        self.recorder = recorder
        self.app_id = app_id
        self.app_name = app_name
        self.batch_ms = batch_interval_ms(ssc)

    def applications(self) -> list[dict]:
        started = self.recorder.started_ms
        now = int(time.time() * 1000)
        return [
            {
                "id": self.app_id,
                "name": self.app_name,
                "attempts": [
                    {
                        "startTime": spark_date(started),
                        "endTime": None,
                        "lastUpdated": spark_date(now),
                        "duration": now - started,
                        "sparkUser": "",
                        "completed": False,
                        "appSparkVersion": self.ssc.sparkContext.version,
                        "startTimeEpoch": started,
                        "lastUpdatedEpoch": now,
                    }
                ],
            }
        ]

    def statistics(self) -> dict:
        active, completed = self.recorder.batches()
        totals = self.recorder.totals()
        receivers = self.recorder.receivers()
        batch_seconds = self.batch_ms / 1000

        def average_of(attribute: str) -> float | None:
            return _average([getattr(b, attribute) for b in completed if getattr(b, attribute) is not None])

        return {
            "startTime": spark_date(self.recorder.started_ms),
            "batchDuration": self.batch_ms,
            "numReceivers": len(receivers),
            "numActiveReceivers": sum(r.active for r in receivers),
            "numInactiveReceivers": sum(not r.active for r in receivers),
            "numTotalCompletedBatches": totals.completed_batches,
            "numRetainedCompletedBatches": len(completed),
            "numActiveBatches": len(active),
            "numProcessedRecords": totals.processed_records,
            "numReceivedRecords": totals.received_records,
            "avgInputRate": _average([b.records / batch_seconds for b in completed]),
            "avgSchedulingDelay": average_of("scheduling_delay_ms"),
            "avgProcessingTime": average_of("processing_ms"),
            "avgTotalDelay": average_of("total_delay_ms"),
        }

    def batches(self, status: str | None = None) -> list[dict]:
        """Newest first, as Spark lists them; ``status`` filters (QUEUED, PROCESSING, COMPLETED)."""
        active, completed = self.recorder.batches()
        found = [batch_json(b, self.batch_ms) for b in reversed(active + completed)]
        return [b for b in found if status is None or b["status"] == status.upper()]

    def batch(self, batch_id: int) -> dict | None:
        batch = self.recorder.batch(batch_id)
        return None if batch is None else batch_json(batch, self.batch_ms)

    def operations(self, batch_id: int) -> list[dict] | None:
        batch = self.recorder.batch(batch_id)
        if batch is None:
            return None
        return [
            {
                "outputOpId": op.op_id,
                "name": op.name,
                "description": op.description,
                "startTime": spark_date(op.start_ms),
                "endTime": spark_date(op.end_ms),
                "duration": None if op.start_ms is None or op.end_ms is None else op.end_ms - op.start_ms,
                "failureReason": op.failure,
            }
            for op in sorted(batch.operations.values(), key=lambda op: op.op_id)
        ]

    def receivers(self) -> list[dict]:
        _, completed = self.recorder.batches()
        result = []
        for receiver in self.recorder.receivers():
            rates = self._event_rates(completed, receiver.stream_id)
            result.append(
                {
                    "streamId": receiver.stream_id,
                    "streamName": receiver.name,
                    "isActive": receiver.active,
                    "executorId": receiver.executor_id,
                    "executorHost": receiver.host,
                    "lastErrorTime": spark_date(receiver.last_error_time_ms),
                    "lastErrorMessage": receiver.last_error_message or None,
                    "lastError": receiver.last_error or None,
                    "avgEventRate": _average([rate for _, rate in rates]),
                    "eventRates": rates,
                }
            )
        return result

    def _event_rates(self, completed: list[BatchRecord], stream_id: int) -> list[list]:
        """Spark's eventRates: (batch time, records per second) of each retained batch."""
        seconds = self.batch_ms / 1000
        return [[b.time_ms, b.records_by_stream.get(stream_id, 0) / seconds] for b in completed]

    # -- ember's additions ---------------------------------------------------------------------
    def sources(self) -> list[dict]:
        _, completed = self.recorder.batches()
        totals = self.recorder.totals()
        result = []
        for source in source_status(self.ssc):
            rates = self._event_rates(completed, source.stream_id)
            result.append(
                {
                    "streamId": source.stream_id,
                    "streamName": source.name,
                    "kind": source.kind,
                    "isActive": source.active,
                    "restarts": source.restarts,
                    "positions": {str(k): v for k, v in source.positions.items()},
                    "positionsBatchTime": source.positions_batch_ms,
                    "lags": None,  # no source reports its newest available position yet
                    "numRecords": totals.records_by_stream.get(source.stream_id, 0),
                    "avgEventRate": _average([rate for _, rate in rates]),
                    "eventRates": rates,
                }
            )
        return result

    def state(self) -> list[dict]:
        return [
            {
                "streamId": s.stream_id,
                "description": s.description,
                "batchTime": s.batch_time_ms,
                "keys": s.keys,
                "bytes": s.bytes,
            }
            for s in state_status(self.ssc)
        ]

    def executors(self) -> dict:
        status = executor_status(self.ssc.sparkContext)
        return {
            "master": status.master,
            "shmBytes": status.shm_bytes,
            "workers": [
                {
                    "id": w.worker_id,
                    "pid": w.pid,
                    "activeTasks": int(w.running_task),
                    "completedTasks": w.tasks,
                    "totalDuration": round(w.task_seconds * 1000),
                }
                for w in status.workers
            ],
        }


def batch_json(batch: BatchRecord, batch_ms: int) -> dict:
    operations = list(batch.operations.values())
    failures = [op.failure for op in operations if op.failure is not None]
    return {
        "batchId": batch.time_ms,
        "batchTime": spark_date(batch.time_ms),
        "status": batch.status,
        "batchDuration": batch_ms,
        "inputSize": batch.records,
        "schedulingDelay": batch.scheduling_delay_ms,
        "processingTime": batch.processing_ms,
        "totalDelay": batch.total_delay_ms,
        "numActiveOutputOps": sum(op.start_ms is not None and op.end_ms is None for op in operations),
        "numCompletedOutputOps": sum(op.end_ms is not None and op.failure is None for op in operations),
        "numFailedOutputOps": len(failures),
        "numTotalOutputOps": len(operations),
        "firstFailureReason": failures[0] if failures else None,
        # ember's addition: what each input stream put in the batch (per-source input rates)
        "streamIdToInputSize": {str(k): v for k, v in batch.records_by_stream.items()},
    }
