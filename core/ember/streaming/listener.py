"""StreamingListener and the events it receives, with pyspark.streaming.listener's names.

PySpark hands listeners Java objects (``batchCompleted.batchInfo()``); ember's events keep
those accessor methods so listener code ports unchanged, and the infos are plain Python
objects whose times are epoch milliseconds and delays milliseconds (``None`` until known).
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
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


@dataclass
class OutputOperationInfo:
    """One output operation's job in one batch (Spark's OutputOperationInfo)."""

    batchTime: int
    id: int
    name: str
    description: str
    startTime: int | None = None
    endTime: int | None = None
    failureReason: str | None = None

    @property
    def duration(self) -> int | None:
        if self.startTime is None or self.endTime is None:
            return None
        return self.endTime - self.startTime


@dataclass
class BatchInfo:
    """A batch's timing and size (Spark's BatchInfo); delays are derived from the times."""

    batchTime: int
    submissionTime: int
    numRecords: int = 0
    processingStartTime: int | None = None
    processingEndTime: int | None = None
    outputOperationInfos: dict[int, OutputOperationInfo] = field(default_factory=dict)

    @property
    def schedulingDelay(self) -> int | None:
        """How long the batch waited for the ones before it (grows when processing is slow)."""
        if self.processingStartTime is None:
            return None
        return self.processingStartTime - self.batchTime

    @property
    def processingDelay(self) -> int | None:
        if self.processingStartTime is None or self.processingEndTime is None:
            return None
        return self.processingEndTime - self.processingStartTime

    @property
    def totalDelay(self) -> int | None:
        if self.processingEndTime is None:
            return None
        return self.processingEndTime - self.batchTime


@dataclass
class ReceiverInfo:
    """A receiver's identity and last error, as sources report it."""

    streamId: int
    name: str
    active: bool = True
    location: str = "driver"
    lastErrorMessage: str = ""
    lastError: str = ""


class _Event:
    """An event carrying one info object, exposed through PySpark's accessor name."""

    def __init__(self, info: Any):
        self._info = info

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._info!r})"


class StreamingListenerStreamingStarted:
    def __init__(self, time: int):
        self.time = time


class StreamingListenerBatchSubmitted(_Event):
    def batchInfo(self) -> BatchInfo:
        return self._info


class StreamingListenerBatchStarted(StreamingListenerBatchSubmitted):
    pass


class StreamingListenerBatchCompleted(StreamingListenerBatchSubmitted):
    pass


class StreamingListenerOutputOperationStarted(_Event):
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


class StreamingListenerBus:
    """Delivers events to every registered listener; a failing listener is logged, not fatal."""

    def __init__(self):
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
