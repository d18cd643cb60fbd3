"""StreamingContext: the entry point of a DStream program, with PySpark's API.

It owns the DStream graph, the batch scheduler that runs it on a clock, the listener bus and
the error waiter behind ``awaitTermination``.  Its life cycle is Spark's: INITIALIZED (streams
and outputs are added), ACTIVE after ``start()`` (one active context per process), STOPPED.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable
from typing import Any, NoReturn

from ember._typing import T
from ember.conf import ConfigurationError
from ember.context import SparkContext
from ember.errors import PySparkRuntimeError
from ember.executor import tracebacks
from ember.pluginhost import registry
from ember.rdd import RDD
from ember.storagelevel import StorageLevel
from ember.streaming import monitors, shutdown
from ember.streaming.checkpointing import CheckpointingSession, checkpointing
from ember.streaming.clock import Clock, SystemClock
from ember.streaming.dstream import DStream, TransformedDStream
from ember.streaming.durations import to_ms
from ember.streaming.graph import DStreamGraph
from ember.streaming.input import InputDStream, QueueInputDStream, as_queue
from ember.streaming.listener import (
    StreamingListener,
    StreamingListenerBus,
    StreamingListenerStreamingStarted,
)
from ember.streaming.scheduler import BatchScheduler, graceful_stop_timeout_ms
from ember.streaming.source_streams import as_input_stream

_log = logging.getLogger("ember.streaming")

INITIALIZED, ACTIVE, STOPPED = "INITIALIZED", "ACTIVE", "STOPPED"


class StreamingContext:
    _activeContext: StreamingContext | None = None
    _lock = threading.RLock()

    def __init__(
        self, sparkContext: SparkContext, batchDuration: float | None = None, clock: Clock | None = None
    ) -> None:
        """``batchDuration`` in seconds; ``clock`` (ember only) lets tests drive time by hand."""
        if not isinstance(sparkContext, SparkContext):
            raise TypeError(f"StreamingContext expects a SparkContext, got {type(sparkContext).__name__}")
        if batchDuration is None:
            raise ValueError("StreamingContext needs a batchDuration (the batch interval, in seconds)")
        self._sc = sparkContext
        self._batch_ms = to_ms(batchDuration, "batchDuration")
        self._graph = DStreamGraph(self._batch_ms)
        self.listener_bus = StreamingListenerBus()
        self.clock = clock if clock is not None else SystemClock()
        self._checkpoint_dir: str | None = None
        #: (ember only) the checkpoint ``getOrCreate`` found for this context, restored at start()
        self.recovered_checkpoint: Any = None
        self._checkpointing: CheckpointingSession | None = None
        self._state = INITIALIZED
        self._stop_finished = False
        self._scheduler: BatchScheduler | None = None
        self._error: BaseException | None = None
        self._terminated = threading.Condition()
        self._signals: shutdown.SignalHandlers | None = None
        #: what the monitors (plugins' ``ember_streaming_started``) need called at stop
        self._monitor_stops: list[Callable[[], None]] = []

    # -- the active context ----------------------------------------------------------------
    @classmethod
    def getOrCreate(cls, checkpointPath: str, setupFunc: Callable[[], StreamingContext]) -> StreamingContext:
        """Call ``setupFunc`` to build the context; when ``checkpointPath`` holds a checkpoint,
        restore it into the rebuilt graph (``ember.checkpoint.recovery``).  The path becomes the
        context's checkpoint directory."""
        return checkpointing().get_or_create(checkpointPath, setupFunc)

    @classmethod
    def getActive(cls) -> StreamingContext | None:
        """The context that is started and not stopped, if any."""
        with cls._lock:
            return cls._activeContext

    @classmethod
    def getActiveOrCreate(
        cls, checkpointPath: str | None, setupFunc: Callable[[], StreamingContext]
    ) -> StreamingContext:
        if not callable(setupFunc):
            raise TypeError("setupFunc should be callable.")
        active = cls.getActive()
        if active is not None:
            return active
        if checkpointPath is not None:
            return cls.getOrCreate(checkpointPath, setupFunc)
        return call_setup(setupFunc)

    @property
    def sparkContext(self) -> SparkContext:
        return self._sc

    def __reduce__(self) -> NoReturn:
        # A task's closure holding the context: PySpark fails on its SparkContext the same way.
        raise PySparkRuntimeError("CONTEXT_ONLY_VALID_ON_DRIVER")

    # -- ember only: what checkpoints and ember.testing need ----------------------------------
    @property
    def graph(self) -> DStreamGraph:
        """(ember only) The DStream graph: its inputs, outputs and streams."""
        return self._graph

    @property
    def batch_ms(self) -> int:
        """(ember only) The batch interval in milliseconds."""
        return self._batch_ms

    @property
    def checkpoint_directory(self) -> str | None:
        """(ember only) Where ``checkpoint(directory)`` put checkpoints; None when not set."""
        return self._checkpoint_dir

    @property
    def scheduler(self) -> BatchScheduler | None:
        """(ember only) The batch scheduler, once started: its ``zero_ms`` and ``wait_for_batch``
        let a test on a manual clock wait for the batches it advanced to."""
        return self._scheduler

    @property
    def error(self) -> BaseException | None:
        """(ember only) The first error of a failed batch (what ``awaitTermination`` raises)."""
        with self._terminated:
            return self._error

    # -- configuration ---------------------------------------------------------------------
    def remember(self, duration: float) -> None:
        """Keep every stream's RDDs at least ``duration`` seconds (for ``slice`` and queries)."""
        self._graph.remember(to_ms(duration, "remember duration"))

    def checkpoint(self, directory: str) -> None:
        """The directory where state and progress are checkpointed (needed by stateful streams)."""
        if not isinstance(directory, (str, os.PathLike)) or not str(directory):
            raise TypeError(f"checkpoint() expects a directory path, got {directory!r}")
        directory = os.fspath(directory)
        checkpointing().validate_directory(directory, self._sc.getConf())  # an unknown scheme fails here
        if "://" not in directory or directory.startswith("file://"):
            try:
                os.makedirs(directory.removeprefix("file://"), exist_ok=True)
            except OSError as error:
                raise ConfigurationError(
                    f"Cannot use {directory!r} as the checkpoint directory: "
                    f"{error.strerror or error} ({error.filename or directory})"
                ) from error
            self._sc.setCheckpointDir(directory)  # as in Spark: RDDs checkpoint under it too
        self._checkpoint_dir = directory

    def addStreamingListener(self, streamingListener: StreamingListener) -> None:
        self.listener_bus.add(streamingListener)

    # -- creating streams --------------------------------------------------------------------
    def queueStream(
        self,
        rdds: Iterable[RDD[T] | Iterable[T]],
        oneAtATime: bool = True,
        default: RDD[T] | Iterable[T] | None = None,
    ) -> DStream[T]:
        """A stream of the given RDDs (or lists), one per batch or all in the first; once they
        are used up each batch gets ``default`` if given, else an empty RDD."""
        if default and not isinstance(default, RDD):
            default = self._sc.parallelize(default)
        rdds = list(rdds)
        if not rdds and default:
            rdds = [[]]  # PySpark starts such a stream with one empty batch
        return QueueInputDStream(
            self, as_queue(self, rdds), oneAtATime, default if isinstance(default, RDD) else None
        )

    def socketTextStream(
        self, hostname: str, port: int, storageLevel: StorageLevel = StorageLevel.MEMORY_AND_DISK_2
    ) -> DStream[str]:
        return self.create_source_stream("socket", hostname=hostname, port=port, storageLevel=storageLevel)

    def textFileStream(self, directory: str) -> DStream[str]:
        return self.create_source_stream("text-files", directory=directory)

    def binaryRecordsStream(self, directory: str, recordLength: int) -> DStream[bytes]:
        return self.create_source_stream("binary-files", directory=directory, recordLength=recordLength)

    def create_source_stream(self, kind: str, **options: Any) -> InputDStream:
        """(ember only) The input DStream of the installed source ``kind`` (``"socket"``,
        ``"kafka"``...), created with ``options``; what ``ember.plugins.create_source_stream``
        calls.  ``MissingPluginError`` names the distribution to install."""
        record, source_kind = registry.source_kind(kind)
        return as_input_stream(
            self, source_kind.create(self, **options), f"{kind} source of {record.distribution}"
        )

    def union(self, *dstreams: DStream[T]) -> DStream[T]:
        if not dstreams:
            raise ValueError("should have at least one DStream to union")
        first = dstreams[0]
        for other in dstreams[1:]:
            first._check_same_slide(other, "union")
        if len(dstreams) == 1:
            return first
        return TransformedDStream(
            list(dstreams), lambda _time, *rdds: self._sc.union(list(rdds)), "union", missing="fail"
        )

    def transform(
        self, dstreams: list[DStream[Any]], transformFunc: Callable[[tuple[RDD[Any], ...]], RDD[T]]
    ) -> DStream[T]:
        """``transformFunc(rdds)`` gives each batch's RDD from the streams' RDDs (a tuple, in
        the order of ``dstreams``)."""
        dstreams = list(dstreams)
        if not dstreams:
            raise ValueError("transform() needs at least one DStream")
        for other in dstreams[1:]:
            dstreams[0]._check_same_slide(other, "transform")
        return TransformedDStream(
            dstreams, lambda _time, *rdds: transformFunc(rdds), "transform", missing="fail"
        )

    # -- running ---------------------------------------------------------------------------
    def start(self) -> None:
        with StreamingContext._lock:
            if self._state == ACTIVE:
                _log.warning("StreamingContext has already been started")
                return
            if self._state == STOPPED:
                raise RuntimeError("StreamingContext has already been stopped")
            active = StreamingContext._activeContext
            if active is not None:
                raise RuntimeError(
                    "Only one StreamingContext may be started in this process " f"(stop {active!r} first)"
                )
            self._graph.validate(self._checkpoint_dir or self._sc.getCheckpointDir())
            session = self._checkpointing = checkpointing().open_session(self)
            self._monitor_stops = monitors.start(self)
            for stream in self._graph.inputs:
                stream.start()
            self._scheduler = BatchScheduler(
                self._graph,
                self.clock,
                self.listener_bus,
                self._report_error,
                session.after_batch if session else None,
                graceful_stop_timeout_ms(self._sc.getConf(), self.batch_ms),
            )
            self._scheduler.start(session.resume if session else None)
            self._state = ACTIVE
            StreamingContext._activeContext = self
        self._signals = shutdown.SignalHandlers.install(self)
        self.listener_bus.post("onStreamingStarted", StreamingListenerStreamingStarted(self.clock.time_ms()))

    def stop(self, stopSparkContext: bool = True, stopGraceFully: bool = False) -> None:
        """Stop the stream: gracefully (process what was received) or at once."""
        with StreamingContext._lock:
            state, self._state = self._state, STOPPED
            if StreamingContext._activeContext is self:
                StreamingContext._activeContext = None
        if state == ACTIVE:
            if stopGraceFully:
                for stream in self._graph.inputs:
                    stream.stop_receiving()
            assert self._scheduler is not None, "start() created it"
            self._scheduler.stop(graceful=stopGraceFully)
            for stream in self._graph.inputs:
                try:
                    stream.stop()
                except Exception:  # noqa: BLE001 - stopping the others matters more
                    _log.exception("Stopping %s failed", stream.describe())
            if self._checkpointing is not None:
                self._final_checkpoint()
                self._checkpointing.close()
            monitors.stop(self._monitor_stops)
        if self._signals is not None:
            self._signals.restore()
            self._signals = None
        if stopSparkContext:
            self._sc.stop()
        with self._terminated:
            self._stop_finished = True
            self._terminated.notify_all()

    def _final_checkpoint(self) -> None:
        """Save every stateful stream's latest state, so a restart neither loses nor redoes it."""
        assert self._checkpointing is not None, "called with a checkpointing session only"
        try:
            self._checkpointing.final_checkpoint()
        except Exception as error:  # noqa: BLE001 - the stop goes on; awaitTermination says why
            error.add_note("(ember: while writing the final checkpoint at stop)")
            self._report_error(error)

    def _stop_on_signal(self, graceful: bool) -> None:
        """SIGTERM / Ctrl-C: a graceful stop, or (second signal) an immediate one."""
        if not graceful and self._scheduler is not None:
            self._scheduler.stop(graceful=False)
        self.stop(stopSparkContext=True, stopGraceFully=graceful)

    def _report_error(self, error: BaseException) -> None:
        _log.error("Streaming batch failed: %r", error)
        with self._terminated:
            if self._error is None:
                self._error = error
            self._terminated.notify_all()

    def awaitTermination(self, timeout: float | None = None) -> None:
        """Wait for ``stop()`` (or ``timeout`` seconds); raises the error of a failed batch."""
        self.awaitTerminationOrTimeout(timeout)

    def awaitTerminationOrTimeout(self, timeout: float | None) -> bool:
        """True when the context stopped, False when ``timeout`` seconds passed first; raises
        the first error of a failed batch, with the user's own traceback."""
        with self._terminated:
            self._terminated.wait_for(
                lambda: self._error is not None or self._stop_finished,
                None if timeout is None else float(timeout),
            )
            if self._error is not None:
                raise tracebacks.trim(self._error, self._sc.getConf())
            return self._stop_finished

    def __repr__(self) -> str:
        return f"<StreamingContext batch={self._batch_ms} ms state={self._state}>"


def call_setup(setupFunc: Callable[[], StreamingContext]) -> StreamingContext:
    if not callable(setupFunc):
        raise TypeError("setupFunc should be callable.")
    ssc = setupFunc()
    if not isinstance(ssc, StreamingContext):
        raise TypeError(f"setupFunc should return a StreamingContext, but returned {type(ssc).__name__}")
    return ssc
