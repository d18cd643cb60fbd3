"""The engine side of a receiver: its thread, its restarts, its listener events.

``ReceiverSupervisor`` implements the author API's ``Supervisor`` interface: it runs one
``Receiver`` on a thread of its own (never in a task slot), restarts it when it asks, stores
what it receives into the stream's block buffer, and posts ``onReceiverStarted``/``Error``/
``Stopped``.  It runs where the receiver's ``ReceiverService`` runs (usually a worker).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from ember.plugins.receiver import Receiver
from ember.streaming.blocks import BlockBuffer
from ember.streaming.listener import ReceiverInfo
from ember.streaming.quiet_log import RepeatLimitedLog

_log = logging.getLogger("ember.receiver")


class ReceiverSupervisor:
    """Starts, restarts and stops one receiver on its own thread, and posts listener events.

    ``post(event_name, info)`` delivers ``onReceiverStarted``/``Error``/``Stopped``.
    """

    def __init__(
        self,
        receiver: Receiver,
        stream_id: int,
        buffer: BlockBuffer,
        restart_delay_ms: int,
        post: Callable[[str, ReceiverInfo], None],
        executor_id: str = "driver",
    ):
        self.receiver = receiver
        self.stream_id = stream_id
        self.buffer = buffer
        self.restart_delay_ms = restart_delay_ms
        self._post = post
        self.started = False
        self._stopping = threading.Event()
        self._wake = threading.Condition()
        self._restart: tuple[str, BaseException | None, int] | None = None
        self._thread: threading.Thread | None = None
        self._info = ReceiverInfo(stream_id, receiver.name(), is_active=False, executor_id=executor_id)
        #: restarts so far (for monitoring: ``ember.streaming.source_status``)
        self.restarts = 0
        #: a receiver retrying a server that is down logs its error once, then counts
        self._errors_log = RepeatLimitedLog(_log)
        receiver.attach_supervisor(self)

    def store(self, record: Any) -> None:
        self.buffer.add(record)

    def store_records(self, records: Iterable[Any]) -> None:
        self.buffer.add_all(records)

    def store_block(self, records: Iterable[Any]) -> None:
        self.buffer.add_block(records)

    def start(self) -> None:
        """Run the receiver on a thread of its own; returns at once."""
        self._thread = threading.Thread(
            target=self._supervise,
            daemon=True,
            name=f"ember-receiver-{self.stream_id}-{self._info.receiver_name}",
        )
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the receiver (``onStop``) and wait for its supervising thread to end."""
        self.request_stop("stopped by the StreamingContext", None)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def request_restart(self, message: str, error: BaseException | None, delay_ms: int | None) -> None:
        with self._wake:
            if not self._stopping.is_set():
                delay = self.restart_delay_ms if delay_ms is None else delay_ms
                self._restart = (message, error, delay)
                self.started = False
                self._wake.notify_all()

    def request_stop(self, message: str, error: BaseException | None) -> None:
        with self._wake:
            if error is not None:
                self.report_error(message, error)
            self._stopping.set()
            self.started = False
            self._wake.notify_all()

    def report_error(self, message: str, error: BaseException | None, key: str | None = None) -> None:
        """Log (repeats of the same ``key``, by default the message, are counted, not logged
        again) and tell listeners.  A restart without an error (the input ended) is not a
        problem: it is logged at INFO level."""
        text = f"receiver {self._info.receiver_name} (stream {self.stream_id}): {message}" + (
            f": {error!r}" if error is not None else ""
        )
        self._errors_log.log(logging.WARNING if error is not None else logging.INFO, key or text, "%s", text)
        self._info.last_error_message = message
        self._info.last_error = repr(error) if error is not None else ""
        self._info.last_error_time_ms = int(time.time() * 1000)
        self._post("onReceiverError", self._snapshot())

    def _snapshot(self) -> ReceiverInfo:
        return ReceiverInfo(**vars(self._info))

    def _supervise(self) -> None:
        """The supervisor thread: start, then serve restart requests until stopped."""
        while True:
            with self._wake:
                if self._stopping.is_set():
                    break
                self.started = True
            if self._start_receiver():
                with self._wake:
                    while self._restart is None and not self._stopping.is_set():
                        self._wake.wait()
            self._stop_receiver()
            restart, self._restart = self._restart, None
            if restart is not None and not self._stopping.is_set():
                message, error, delay_ms = restart
                self.restarts += 1
                self.report_error(
                    f"restarting receiver in {delay_ms} ms: {message}",
                    error,
                    key=f"restarting receiver: {message}: {error!r}",
                )
                self._stopping.wait(delay_ms / 1000.0)
        self._errors_log.flush()
        self._info.is_active = False
        self._post("onReceiverStopped", self._snapshot())

    def _start_receiver(self) -> bool:
        """Call ``onStart``; a failure asks for a restart, as in Spark.

        Listeners hear of the start first (Spark registers a receiver before ``onStart``), so
        errors the receiver's threads report never precede it.
        """
        if not self._info.is_active:
            self._info.is_active = True
            self._post("onReceiverStarted", self._snapshot())
        try:
            self.receiver.onStart()
        except Exception as error:  # noqa: BLE001 - reported, then retried after the delay
            self.request_restart(f"error starting receiver: {error}", error, None)
            return False
        return True

    def _stop_receiver(self) -> None:
        self.started = False
        try:
            self.receiver.onStop()
        except Exception as error:  # noqa: BLE001 - reported; stopping must go on
            self.report_error("error stopping receiver", error)
