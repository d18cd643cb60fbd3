"""Receivers: push sources (socket, Flume, MQTT) with the shape of Spark's ``Receiver``.

An author subclasses ``Receiver`` and writes ``onStart`` (start the threads that receive; do not
block) and ``onStop`` (stop them).  Received data goes to ``store``/``storeRecords``/``storeBlock``; a broken
connection calls ``restart``; a problem worth telling the user about calls ``reportError``.
ember runs each receiver under a supervisor (``ember.streaming.receiver_supervisor``) on threads
of its own, never in the scheduler's task slots, so a receiver can not starve batch processing;
the receiver reaches it only through the small ``Supervisor`` interface defined here.  As in
Spark, a receiver is pickled to where it runs (a worker process of ``local[N]``) before
``onStart``: its locks and queues arrive new and empty, and the driver reaches it only with
``send_to_receiver`` (``onDriverMessage``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any, Protocol

from ember.storagelevel import StorageLevel


class ReceiverStoppedError(RuntimeError):
    """``store`` was called after the receiver stopped for good: the records were not stored
    (do not acknowledge them to the source; Spark raises here too)."""


class Supervisor(Protocol):
    """What a ``Receiver`` asks of the engine that runs it (ember's ``ReceiverSupervisor``).

    The engine attaches one with ``Receiver.attach_supervisor`` before ``onStart``; a test may
    attach its own to run a receiver without a StreamingContext.
    """

    stream_id: int
    #: True from just before ``onStart`` until the receiver stops or restarts
    started: bool

    def store(self, record: Any) -> None:
        """Add one record to the current block (waits for the rate limit)."""

    def store_records(self, records: Iterable[Any]) -> None:
        """Add several records to the current block at once (waits for the rate limit)."""

    def store_block(self, records: Iterable[Any]) -> None:
        """Add ``records`` as a block of their own (waits for the rate limit)."""

    def request_restart(self, message: str, error: BaseException | None, delay_ms: int | None) -> None:
        """Stop the receiver and start it again after ``delay_ms``, on the engine's thread."""

    def request_stop(self, message: str, error: BaseException | None) -> None:
        """Stop the receiver for good."""

    def report_error(self, message: str, error: BaseException | None) -> None:
        """Tell listeners and the log about an error."""


class Receiver(ABC):
    """Base of every push source; ``storageLevel`` is accepted as in PySpark."""

    def __init__(self, storageLevel: StorageLevel = StorageLevel.MEMORY_AND_DISK_2):
        self.storageLevel = storageLevel
        self._supervisor: Supervisor | None = None

    # -- what authors write -------------------------------------------------------------------
    @abstractmethod
    def onStart(self) -> None:
        """Start receiving: open connections and start threads, then return at once."""

    @abstractmethod
    def onStop(self) -> None:
        """Stop receiving: close what ``onStart`` opened so that its threads end."""

    # -- what authors call ----------------------------------------------------------------------
    def store(self, record: Any) -> None:
        """Store one received record (waits while the receiver is over its max rate).

        Raises ``ReceiverStoppedError`` once the stream has stopped: the record was not
        stored, so a source with acknowledgements must not acknowledge it.
        """
        self._attached().store(record)

    def storeRecords(self, records: Iterable[Any]) -> None:
        """Store several records as ``store`` would, with one rate-limit wait and one hand-over
        for all of them (and one write-ahead-log entry): what one network read decoded."""
        self._attached().store_records(records)

    def storeBlock(self, records: Iterable[Any]) -> None:
        """Store several records as one block, e.g. what one network read decoded."""
        self._attached().store_block(records)

    def restart(self, message: str, error: BaseException | None = None, delay_ms: int | None = None) -> None:
        """Stop and start again after ``delay_ms`` (default ``spark.streaming.receiverRestartDelay``).

        Returns at once: the restart happens on the supervisor's thread.
        """
        self._attached().request_restart(message, error, delay_ms)

    def stop(self, message: str, error: BaseException | None = None) -> None:
        """Stop this receiver for good (the stream keeps running, without new data)."""
        self._attached().request_stop(message, error)

    def reportError(self, message: str, error: BaseException | None = None) -> None:
        """Tell listeners (``onReceiverError``) and the log about an error; keep receiving."""
        self._attached().report_error(message, error)

    def onDriverMessage(self, message: Any) -> None:
        """A message the job's driver sent with ``ember.plugins.send_to_receiver`` (e.g. offsets
        to commit once a batch completed).  Runs on an engine thread where the receiver runs,
        which is usually a worker process, not the driver.  Ignored unless overridden."""

    def isStarted(self) -> bool:
        return self._supervisor is not None and self._supervisor.started

    def isStopped(self) -> bool:
        """Whether receiving should end: threads started in ``onStart`` loop until this is true."""
        return self._supervisor is None or not self._supervisor.started

    @property
    def streamId(self) -> int:
        return self._attached().stream_id

    def name(self) -> str:
        """The name listeners see; defaults to the class name."""
        return type(self).__name__

    def attach_supervisor(self, supervisor: Supervisor) -> None:
        """Called by the engine (not by authors) before ``onStart``: who runs this receiver."""
        self._supervisor = supervisor

    def _attached(self) -> Supervisor:
        if self._supervisor is None:
            raise RuntimeError(f"{self.name()} is not attached to a running StreamingContext")
        return self._supervisor
