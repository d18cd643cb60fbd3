"""StreamingListener and the events it receives, shaped as PySpark's listeners receive them.

PySpark hands a listener py4j proxies of Spark's ``JavaStreamingListener*`` events (Spark's
``JavaStreamingListenerWrapper`` converts each Scala event before it reaches Python), so PySpark
listener code calls accessor METHODS and gets Java values back.  ember's events and infos offer
the same methods with the same values, so listener code ports by changing its imports only:

* ``streamingStarted.time()``: epoch milliseconds (a method, as through py4j).
* ``batchInfo()``: ``batchTime()`` is a :class:`Time` (``.milliseconds()``);
  ``submissionTime()``, ``processingStartTime()``, ``processingEndTime()``,
  ``schedulingDelay()``, ``processingDelay()``, ``totalDelay()`` are ints of milliseconds and
  ``-1`` while not yet known (Spark's ``getOrElse(-1)``: a PySpark listener never sees a Scala
  ``Option``); ``numRecords()`` is an int; ``outputOperationInfos()`` and
  ``streamIdToInputInfo()`` are dicts keyed by output operation id / input stream id.
* ``outputOperationInfo()``: ``batchTime()`` (a Time), ``id()``, ``name()``, ``description()``,
  ``startTime()`` / ``endTime()`` (``-1`` until known), ``failureReason()`` (``None`` unless
  the operation failed: Java's null; else, as Spark's, the error on the first line and then
  its traceback).  Like PySpark's it has no ``duration()``.
* ``StreamInputInfo``: ``inputStreamId()``, ``numRecords()``, ``metadata()`` (a dict),
  ``metadataDescription()`` (``None`` when the stream gives none).
* ``receiverInfo()``: ``streamId()``, ``name()``, ``active()``, ``location()``,
  ``executorId()``, ``lastErrorMessage()`` / ``lastError()`` (``""`` until an error),
  ``lastErrorTime()`` (``-1`` until an error).

Each event carries its own copy of the info, as each py4j event does: an info kept from
``onBatchSubmitted`` still says ``schedulingDelay() == -1`` after the batch ran.

ember's scheduler and receivers fill the infos through their snake_case dataclass fields
(``processing_start_ms`` ...), which are ember's own and not part of PySpark's API.  One
difference: ember measures ``schedulingDelay()`` (and so ``totalDelay()``) from the batch time,
Spark from ``submissionTime()``; ember submits a batch at its batch time, so on a real clock
the two differ by the few milliseconds it takes to generate the batch's jobs.
"""

from __future__ import annotations

import logging
import socket
import threading
from dataclasses import dataclass, field, replace
from typing import Any

_log = logging.getLogger("ember.streaming")


class StreamingListener:
    """Override the callbacks you need; the default ones do nothing."""

    def onStreamingStarted(self, streamingStarted):
        pass

    def onReceiverStarted(self, receiverStarted):
        pass

    def onReceiverError(self, receiverError):
        pass

    def onReceiverStopped(self, receiverStopped):
        pass

    def onBatchSubmitted(self, batchSubmitted):
        pass

    def onBatchStarted(self, batchStarted):
        pass

    def onBatchCompleted(self, batchCompleted):
        pass

    def onOutputOperationStarted(self, outputOperationStarted):
        pass

    def onOutputOperationCompleted(self, outputOperationCompleted):
        pass

    def onStreamingDataLost(self, streamingDataLost):
        """(ember only) Recovery could not replay some batches' input: their records are not in
        the restored state (``StreamingListenerStreamingDataLost``).  A listener without this
        method, as PySpark's have none, is simply not called."""
        pass


def _or_minus_one(value: int | None) -> int:
    return -1 if value is None else value


class Time:
    """A batch time as PySpark listeners get it (Spark's ``Time``): ``milliseconds()``."""

    __slots__ = ("_ms",)

    def __init__(self, milliseconds: int):
        self._ms = int(milliseconds)

    def milliseconds(self) -> int:
        return self._ms

    def __eq__(self, other) -> bool:
        return isinstance(other, Time) and other._ms == self._ms

    def __hash__(self) -> int:
        return hash(self._ms)

    def __repr__(self) -> str:
        return f"{self._ms} ms"  # Spark's Time.toString


@dataclass
class OutputOperationInfo:
    """One output operation's job in one batch (PySpark's JavaOutputOperationInfo)."""

    batch_time_ms: int
    output_op_id: int
    op_name: str
    op_description: str
    start_ms: int | None = None
    end_ms: int | None = None
    failure: str | None = None

    def batchTime(self) -> Time:
        return Time(self.batch_time_ms)

    def id(self) -> int:
        return self.output_op_id

    def name(self) -> str:
        return self.op_name

    def description(self) -> str:
        return self.op_description

    def startTime(self) -> int:
        return _or_minus_one(self.start_ms)

    def endTime(self) -> int:
        return _or_minus_one(self.end_ms)

    def failureReason(self) -> str | None:
        return self.failure


@dataclass(frozen=True)
class StreamInputInfo:
    """What one input stream put into one batch (PySpark's JavaStreamInputInfo)."""

    input_stream_id: int
    num_records: int
    input_metadata: dict[str, Any] = field(default_factory=dict)
    metadata_description: str | None = None

    def inputStreamId(self) -> int:
        return self.input_stream_id

    def numRecords(self) -> int:
        return self.num_records

    def metadata(self) -> dict[str, Any]:
        return dict(self.input_metadata)

    def metadataDescription(self) -> str | None:
        return self.metadata_description


@dataclass
class BatchInfo:
    """A batch's timing and size (PySpark's JavaBatchInfo); delays are derived from the times."""

    batch_time_ms: int
    submission_time_ms: int
    num_records: int = 0
    processing_start_ms: int | None = None
    processing_end_ms: int | None = None
    output_operations: dict[int, OutputOperationInfo] = field(default_factory=dict)
    input_infos: dict[int, StreamInputInfo] = field(default_factory=dict)

    def batchTime(self) -> Time:
        return Time(self.batch_time_ms)

    def submissionTime(self) -> int:
        return self.submission_time_ms

    def processingStartTime(self) -> int:
        return _or_minus_one(self.processing_start_ms)

    def processingEndTime(self) -> int:
        return _or_minus_one(self.processing_end_ms)

    def schedulingDelay(self) -> int:
        """How long the batch waited for the ones before it (grows when processing is slow)."""
        if self.processing_start_ms is None:
            return -1
        return self.processing_start_ms - self.batch_time_ms

    def processingDelay(self) -> int:
        if self.processing_start_ms is None or self.processing_end_ms is None:
            return -1
        return self.processing_end_ms - self.processing_start_ms

    def totalDelay(self) -> int:
        if self.processing_end_ms is None:
            return -1
        return self.processing_end_ms - self.batch_time_ms

    def numRecords(self) -> int:
        return self.num_records

    def outputOperationInfos(self) -> dict[int, OutputOperationInfo]:
        return dict(self.output_operations)

    def streamIdToInputInfo(self) -> dict[int, StreamInputInfo]:
        return dict(self.input_infos)

    def _copy(self) -> BatchInfo:
        return replace(
            self,
            output_operations={i: replace(o) for i, o in self.output_operations.items()},
            input_infos=dict(self.input_infos),
        )


@dataclass
class ReceiverInfo:
    """A receiver's identity and last error (PySpark's JavaReceiverInfo)."""

    stream_id: int
    receiver_name: str
    is_active: bool = True
    host: str = field(default_factory=socket.gethostname)
    executor_id: str = "driver"  # ember's receivers run on the driver, as in local mode
    last_error_message: str = ""
    last_error: str = ""
    last_error_time_ms: int = -1

    def streamId(self) -> int:
        return self.stream_id

    def name(self) -> str:
        return self.receiver_name

    def active(self) -> bool:
        return self.is_active

    def location(self) -> str:
        return self.host

    def executorId(self) -> str:
        return self.executor_id

    def lastErrorMessage(self) -> str:
        return self.last_error_message

    def lastError(self) -> str:
        return self.last_error

    def lastErrorTime(self) -> int:
        return self.last_error_time_ms


class _Event:
    """An event carrying one info object, exposed through PySpark's accessor name."""

    def __init__(self, info: Any):
        self._info = info

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._info!r})"


class StreamingListenerStreamingStarted(_Event):
    def time(self) -> int:
        """When the streaming started, in epoch milliseconds (a method, as through py4j)."""
        return self._info


class StreamingListenerBatchSubmitted(_Event):
    def __init__(self, info: BatchInfo):
        super().__init__(info._copy())

    def batchInfo(self) -> BatchInfo:
        return self._info


class StreamingListenerBatchStarted(StreamingListenerBatchSubmitted):
    pass


class StreamingListenerBatchCompleted(StreamingListenerBatchSubmitted):
    pass


class StreamingListenerOutputOperationStarted(_Event):
    def __init__(self, info: OutputOperationInfo):
        super().__init__(replace(info))

    def outputOperationInfo(self) -> OutputOperationInfo:
        return self._info


class StreamingListenerOutputOperationCompleted(StreamingListenerOutputOperationStarted):
    pass


class StreamingListenerReceiverStarted(_Event):
    def receiverInfo(self) -> ReceiverInfo:
        return self._info


class StreamingListenerReceiverError(StreamingListenerReceiverStarted):
    pass


class StreamingListenerReceiverStopped(StreamingListenerReceiverStarted):
    pass


@dataclass(frozen=True)
class DataLossInfo:
    """(ember only) Batches whose input a recovered job could not replay (a receiver without
    the write-ahead log): the records of those batches are missing from the restored state."""

    stream_id: int
    stream_name: str
    batch_times_ms: tuple[int, ...]
    state_streams: tuple[str, ...]
    setting_key: str

    def streamId(self) -> int:
        """The input stream whose records were lost (as ``receiverInfo().streamId()``)."""
        return self.stream_id

    def name(self) -> str:
        return self.stream_name

    def batchTimes(self) -> list[Time]:
        return [Time(t) for t in self.batch_times_ms]

    def stateStreams(self) -> list[str]:
        """The stateful streams whose restored state misses those records."""
        return list(self.state_streams)

    def setting(self) -> str:
        """The setting that would have kept the records (``...writeAheadLog.enable``)."""
        return self.setting_key


class StreamingListenerStreamingDataLost(_Event):
    """(ember only) Posted once per input stream when recovery finds batches it cannot replay."""

    def dataLossInfo(self) -> DataLossInfo:
        return self._info


class StreamingListenerBus:
    """Delivers events to every registered listener; a failing listener is logged, not fatal."""

    def __init__(self) -> None:
        self._listeners: list[StreamingListener] = []
        self._lock = threading.Lock()
        # the timer and the runner both post: listeners get one event at a time, as in Spark
        self._delivering = threading.RLock()

    def add(self, listener: StreamingListener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def post(self, event_name: str, info: Any) -> None:
        """Call ``listener.<event_name>(info)`` on each listener, in registration order."""
        with self._lock:
            listeners = list(self._listeners)
        with self._delivering:
            for listener in listeners:
                callback = getattr(listener, event_name, None)
                if callback is None:
                    continue
                try:
                    callback(info)
                except Exception:  # noqa: BLE001 - one broken listener must not stop the stream
                    _log.exception("StreamingListener %r failed in %s", listener, event_name)
