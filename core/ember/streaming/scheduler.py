"""The batch scheduler: a timer that cuts batches and a runner that executes their jobs.

The timer thread waits for batch time ``zero + k * interval`` on the clock (never "sleep an
interval", so batches do not drift), asks the graph for that batch's jobs and queues them.
The runner thread takes batches in order and runs their jobs one after another, in the order
the output operations were registered.  When processing is slower than the interval, batches
wait in the queue and their scheduling delay grows; listeners see it in ``BatchInfo``.

A failing job fails its batch: the error goes to the context (``awaitTermination`` raises
it) and later batches still run.
"""

from __future__ import annotations

import logging
import queue
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ember.plugins import duration_ms
from ember.streaming.clock import Clock
from ember.streaming.jobs import Job
from ember.streaming.listener import (
    BatchInfo,
    OutputOperationInfo,
    StreamingListenerBatchCompleted,
    StreamingListenerBatchStarted,
    StreamingListenerBatchSubmitted,
    StreamingListenerBus,
    StreamingListenerOutputOperationCompleted,
    StreamingListenerOutputOperationStarted,
    StreamInputInfo,
)
from ember.streaming.materialize import materialize_and_cut
from ember.streaming.overload import FallingBehindWarning
from ember.streaming.rate_control import update_rate_controllers

if TYPE_CHECKING:
    from ember.streaming.graph import DStreamGraph

_log = logging.getLogger("ember.streaming")


@dataclass
class Batch:
    """The jobs of one batch time, and what listeners are told about it."""

    info: BatchInfo
    jobs: list[Job]
    stateful_rdds: list
    #: set when building the batch failed: it then has no jobs and is not reported to listeners
    generation_failed: bool = False


class BatchScheduler:
    def __init__(
        self,
        graph: DStreamGraph,
        clock: Clock,
        bus: StreamingListenerBus,
        report_error: Callable[[BaseException], None],
        after_batch: Callable[[int], None] | None = None,
        graceful_stop_timeout_ms: int | None = None,
    ):
        """``after_batch(time_ms)`` runs after each batch, before it counts as completed
        (the checkpoint is written there).  A graceful stop processes the queued batches for
        at most ``graceful_stop_timeout_ms`` (Spark's ``spark.streaming.gracefulStopTimeout``,
        10 batch intervals by default), then drops the rest."""
        self.graph = graph
        self.after_batch = after_batch
        self._first_ms: int | None = None
        self.clock = clock
        self.bus = bus
        self.report_error = report_error
        self.zero_ms: int | None = None
        self.last_completed_ms: int | None = None
        self._queue: queue.Queue[Batch | None] = queue.Queue()
        self._cancel = threading.Event()
        self._drop_pending = False
        self._stop_after_ms: int | None = None
        self._progress = threading.Condition()
        self.delay_warning = FallingBehindWarning(graph.batch_ms)
        self.graceful_stop_timeout_ms = graceful_stop_timeout_ms or 10 * graph.batch_ms
        self._timer = threading.Thread(target=self._generate_batches, name="ember-batch-timer", daemon=True)
        self._runner = threading.Thread(target=self._run_batches, name="ember-batch-runner", daemon=True)

    # -- life cycle ----------------------------------------------------------------------------
    def start(self, resume=None) -> int:
        """Start at the last interval boundary (Spark's zero time), or, for a recovered job,
        where ``resume`` (``ember.checkpoint.recovery.Resume``) says; returns the zero time."""
        batch_ms = self.graph.batch_ms
        self.zero_ms = self.clock.time_ms() // batch_ms * batch_ms if resume is None else resume.zero_ms
        self.graph.start(self.zero_ms)
        self._first_ms = self.zero_ms + batch_ms if resume is None else resume.start(self.clock.time_ms())
        if resume is not None:
            self.last_completed_ms = self._first_ms - batch_ms
        self._timer.start()
        self._runner.start()
        return self.zero_ms

    def stop(self, graceful: bool) -> None:
        """Graceful: cut the batches up to now (up to the next batch time when the clock runs
        by itself) and process every queued one.  Immediate: drop what is queued."""
        batch_ms, zero_ms = self.graph.batch_ms, self.zero_ms
        assert zero_ms is not None, "stop() follows start(), which sets the zero time first"
        now = self.clock.time_ms()
        if graceful and self.clock.advances_by_itself:
            self._stop_after_ms = zero_ms + -(-(now - zero_ms) // batch_ms) * batch_ms
        else:
            self._stop_after_ms = zero_ms + (now - zero_ms) // batch_ms * batch_ms
            self._drop_pending = not graceful
            self._cancel.set()
        if not self.clock.advances_by_itself:
            self.clock.wake()
        if self._timer is not threading.current_thread():
            self._timer.join()
        batches, records = self._queued()
        if batches:  # routine when graceful; data dropped otherwise, which is said loudly
            _log.log(
                logging.INFO if graceful else logging.WARNING,
                "Stopping %s: %d batch(es) (%d records) received before the stop %s",
                "gracefully" if graceful else "at once",
                batches,
                records,
                "are processed first" if graceful else "are dropped",
            )
        self._queue.put(None)
        if self._runner is not threading.current_thread():
            self._runner.join(self.graceful_stop_timeout_ms / 1000 if graceful else None)
            if self._runner.is_alive():
                dropped, dropped_records = self._queued()
                self._drop_pending = True
                _log.warning(
                    "Graceful stop timed out after %d ms (spark.streaming.gracefulStopTimeout): of the %d "
                    "waiting batches, %d ran or are running; the other %d (%d records) are dropped",
                    self.graceful_stop_timeout_ms,
                    batches,
                    batches - dropped,
                    dropped,
                    dropped_records,
                )
                self._runner.join()
            elif graceful and batches:
                _log.info(
                    "Graceful stop: processed the %d batch(es) (%d records) that were waiting",
                    batches,
                    records,
                )

    def _queued(self) -> tuple[int, int]:
        """Batches generated and not yet run, and their records: the backlog a stop drains or
        drops (bounded: receivers hold back past their byte limit)."""
        with self._queue.mutex:
            waiting = [
                batch for batch in self._queue.queue if batch is not None and not batch.generation_failed
            ]
        return len(waiting), sum(batch.info.num_records or 0 for batch in waiting)

    def wait_for_batch(self, time_ms: int, timeout: float | None = None) -> bool:
        """Block until the batch at ``time_ms`` has completed (or the runner stopped)."""
        with self._progress:
            return self._progress.wait_for(
                lambda: (self.last_completed_ms or 0) >= time_ms or not self._runner.is_alive(), timeout
            )

    # -- the timer -------------------------------------------------------------------------
    def _generate_batches(self) -> None:
        batch_ms = self.graph.batch_ms
        time_ms = self._first_ms
        assert time_ms is not None, "start() sets the first batch time before this thread starts"
        while True:
            stop_after = self._stop_after_ms
            if stop_after is not None and time_ms > stop_after:
                return
            reached = self.clock.wait_till(time_ms, self._cancel)
            if self._drop_pending:
                return
            if not reached:
                continue
            self._generate(time_ms)
            time_ms += batch_ms

    def _generate(self, time_ms: int) -> None:
        try:
            jobs = self.graph.generate_jobs(time_ms)
            stateful = self.graph.stateful_rdds(time_ms)
            records = self.graph.records_by_stream(time_ms)
        except Exception as error:  # noqa: BLE001 - a user function failed while building the batch
            _add_note(error, f"(ember: while generating the batch at time {time_ms} ms)")
            self.report_error(error)
            self._queue.put(Batch(BatchInfo(time_ms, self.clock.time_ms()), [], [], generation_failed=True))
            return
        info = BatchInfo(
            time_ms,
            self.clock.time_ms(),
            num_records=sum(records.values()),
            input_infos={i: StreamInputInfo(i, n) for i, n in records.items()},
        )
        for job in jobs:
            info.output_operations[job.output_op_id] = OutputOperationInfo(
                time_ms, job.output_op_id, job.name, job.describe()
            )
        self.bus.post("onBatchSubmitted", StreamingListenerBatchSubmitted(info))
        self._queue.put(Batch(info, jobs, stateful))

    # -- the runner ------------------------------------------------------------------------
    def _run_batches(self) -> None:
        while True:
            batch = self._queue.get()
            if batch is None or self._drop_pending:
                return
            if not batch.generation_failed:
                self._run(batch)
                self._after_batch(batch.info.batch_time_ms)
            with self._progress:
                self.last_completed_ms = batch.info.batch_time_ms
                self._progress.notify_all()

    def _run(self, batch: Batch) -> None:
        info = batch.info
        info.processing_start_ms = start_ms = self.clock.time_ms()
        self.bus.post("onBatchStarted", StreamingListenerBatchStarted(info))
        state_error = self._materialize_state(batch)
        for job in batch.jobs:
            op = info.output_operations[job.output_op_id]
            op.start_ms = self.clock.time_ms()
            self.bus.post("onOutputOperationStarted", StreamingListenerOutputOperationStarted(op))
            error = state_error or self._run_job(job)
            if error is not None:
                op.failure = _failure_reason(error)
            op.end_ms = self.clock.time_ms()
            self.bus.post("onOutputOperationCompleted", StreamingListenerOutputOperationCompleted(op))
        info.processing_end_ms = end_ms = self.clock.time_ms()
        _log.info(
            "Total delay: %.3f s for time %d ms (scheduling delay %.3f s, execution %.3f s)",
            info.totalDelay() / 1000,
            info.batch_time_ms,
            info.schedulingDelay() / 1000,
            info.processingDelay() / 1000,
        )
        self.bus.post("onBatchCompleted", StreamingListenerBatchCompleted(info))
        self.delay_warning.observe(info)
        self._update_rates(info, start_ms, end_ms)
        self.graph.clear_old(info.batch_time_ms)

    def _update_rates(self, info: BatchInfo, start_ms: int, end_ms: int) -> None:
        """Backpressure: the input streams with a rate controller learn this batch's delays
        (it was processed from ``start_ms`` to ``end_ms``)."""
        records = {stream_id: input_info.num_records for stream_id, input_info in info.input_infos.items()}
        try:
            update_rate_controllers(
                self.graph.inputs, records, end_ms, end_ms - start_ms, start_ms - info.submission_time_ms
            )
        except Exception:  # noqa: BLE001 - a rate update never fails the job
            _log.exception(
                "ember: updating the backpressure rate after the batch at %d ms failed", info.batch_time_ms
            )

    def _after_batch(self, time_ms: int) -> None:
        if self.after_batch is None:
            return
        try:
            self.after_batch(time_ms)
        except Exception as error:  # noqa: BLE001 - reported to awaitTermination, like a failed job
            _add_note(error, f"(ember: while checkpointing after the batch at time {time_ms} ms)")
            self.report_error(error)

    def _materialize_state(self, batch: Batch) -> BaseException | None:
        for rdd in batch.stateful_rdds:
            try:
                materialize_and_cut(rdd)
            except Exception as error:  # noqa: BLE001 - the user's update function failed
                _add_note(
                    error, f"(ember: while updating state in the batch at time {batch.info.batch_time_ms} ms)"
                )
                self.report_error(error)
                return error
        return None

    def _run_job(self, job: Job) -> BaseException | None:
        try:
            job.run()
        except Exception as error:  # noqa: BLE001 - reported to awaitTermination, later batches go on
            _add_note(error, f"(ember: in {job.describe()})")
            self.report_error(error)
            return error
        return None


GRACEFUL_STOP_TIMEOUT = "spark.streaming.gracefulStopTimeout"


def graceful_stop_timeout_ms(conf, batch_ms: int) -> int:
    """How long a graceful stop may process waiting batches: the setting, or 10 intervals."""
    value = conf.get(GRACEFUL_STOP_TIMEOUT)
    return duration_ms(value, GRACEFUL_STOP_TIMEOUT) if value is not None else 10 * batch_ms


def _failure_reason(error: BaseException) -> str:
    """Spark's failure reason: the error on the first line, then its whole traceback (with the
    worker's, which the driver adds as a note), so a UI can show the user's own frames."""
    return f"{type(error).__name__}: {error}\n" + "".join(traceback.format_exception(error))


def _add_note(error: BaseException, note: str) -> None:
    if note not in getattr(error, "__notes__", ()):
        error.add_note(note)
