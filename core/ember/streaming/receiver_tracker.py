"""The driver's side of a receiver (Spark's ReceiverTracker and ReceivedBlockTracker in one):
where its service runs, the blocks each batch holds, its rate, its listener events.

The driver never sees a received record: at each batch time ``take`` asks the service for the
blocks received since the previous batch and gets the batch's partitions back (the ids of the
blocks each reads, and its record count).  When
the worker hosting the service dies, the executor starts it again elsewhere; a ``take``
waiting for the lost one is asked again of the new one, which also gets the current rate.

A ``take`` waits at most ``spark.ember.streaming.receiver.takeTimeout`` (a worker that stops
answering must not stop every batch after it): the batch then goes on without this stream's
records, which is logged and told to listeners, and what the service answers late joins the
next batch, so nothing it stored is lost.  ``take`` also says from which takes (batch times:
with the write-ahead log on, the names of the log segments) a batch's blocks came, in order.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from ember.executor.base import Executor, ServiceHandle
from ember.streaming.listener import ReceiverInfo
from ember.streaming.receiver_service import Partitions, ReceiverService

TAKE_TIMEOUT_SETTING = "spark.ember.streaming.receiver.takeTimeout"
DEFAULT_TAKE_TIMEOUT_MS = 30_000
_log = logging.getLogger("ember.receiver")


class ReceiverTracker:
    def __init__(
        self,
        executor: Executor,
        stream_id: int,
        receiver_name: str,
        rate: float,
        post: Callable[[str, ReceiverInfo], None],
        take_timeout_ms: int = DEFAULT_TAKE_TIMEOUT_MS,
    ):
        self._executor = executor
        self._post = post
        self._handle: ServiceHandle | None = None
        self._changed = threading.Condition()
        self._taken: dict[int, Partitions] = {}
        self._wanted: int | None = None
        self._take_timeout_ms = take_timeout_ms
        #: batches that went on without an answer, and what was answered for them since
        self._unanswered: set[int] = set()
        self._late: Partitions = []
        self._late_takes: list[int] = []
        #: records per second the receiver may store (0: unlimited)
        self.rate = rate
        self._stopped = False
        self._moves = 0
        self._restarts_reported = 0
        self._restarts_earlier = 0  # of instances that were lost
        self._info = ReceiverInfo(stream_id, receiver_name, is_active=False)
        #: as the service last reported: bytes received and not yet processed, and how many
        #: times a store waited for room under ``maxBufferedBytes``
        self.buffered_bytes = 0
        self.held_back = 0

    # -- status, for monitoring --------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self._info.is_active

    @property
    def restarts(self) -> int:
        """Restarts the receiver asked for, plus moves to another worker."""
        return self._restarts_earlier + self._restarts_reported + self._moves

    @property
    def where(self) -> str:
        return "nowhere" if self._handle is None else self._handle.where

    # -- life cycle ------------------------------------------------------------------------------
    def start(self, service: ReceiverService) -> None:
        service.rate = self.rate
        name = f"ember-receiver-{service.stream_id}-{self._info.receiver_name}"
        self._handle = self._executor.start_service(service, self._on_message, self._on_moved, name)

    def take(self, time_ms: int) -> tuple[Partitions, tuple[int, ...]]:
        """The partitions of the batch at ``time_ms`` (none once the receiver was stopped),
        after those answered late for earlier batches, and the times of the takes that
        answered them (the log segments that hold their records, in the same order)."""
        with self._changed:
            self._wanted = time_ms
        assert self._handle is not None, "take() before start()"
        self._handle.send(("take", time_ms))
        with self._changed:
            answered = self._changed.wait_for(
                lambda: time_ms in self._taken or self._stopped, self._take_timeout_ms / 1000
            )
            self._wanted = None
            if not answered:
                self._unanswered.add(time_ms)
            own = self._taken.pop(time_ms, [])
            taken, self._late = self._late + own, []
            takes, self._late_takes = (*self._late_takes, *([time_ms] if own else [])), []
        if not answered:
            self._report_unanswered(time_ms)
        return taken, takes

    def _report_unanswered(self, time_ms: int) -> None:
        message = (
            f"the receiver did not say within {self._take_timeout_ms} ms ({TAKE_TIMEOUT_SETTING}) "
            f"which blocks the batch at {time_ms} ms holds (its worker {self.where} is stopped or "
            "overloaded): that batch goes on without them, and what it answers later joins the "
            "next batch"
        )
        _log.warning("%s (stream %d): %s", self._info.receiver_name, self._info.stream_id, message)
        self._info = self._with_error(message)
        self._post("onReceiverError", self._info)

    def _with_error(self, message: str, **changes) -> ReceiverInfo:
        """The receiver's info with ``message`` as its last error, now."""
        return ReceiverInfo(
            **{
                **vars(self._info),
                "last_error": "",
                "last_error_time_ms": int(time.time() * 1000),
                "last_error_message": message,
                **changes,
            }
        )

    def release(self, time_ms: int) -> None:
        """The batches up to ``time_ms`` are done with their blocks: the receiver may store
        as many bytes again (``maxBufferedBytes``)."""
        if self._handle is not None:
            self._handle.send(("release", time_ms))

    def set_rate(self, rate: float) -> None:
        self.rate = rate
        if self._handle is not None:
            self._handle.send(("rate", rate))

    def send_to_receiver(self, message) -> None:
        if self._handle is not None:
            self._handle.send(("receiver", message))

    def stop_receiving(self) -> None:
        if self._handle is not None:
            self._handle.send(("stop_receiving",))

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.stop()
        with self._changed:
            self._stopped = True
            self._changed.notify_all()

    # -- what the service and the executor tell ---------------------------------------------------
    def _on_message(self, message: tuple) -> None:
        kind = message[0]
        if kind == "taken":
            with self._changed:
                if message[1] in self._unanswered:
                    self._unanswered.discard(message[1])
                    self._late += message[2]
                    if message[2]:
                        self._late_takes.append(message[1])
                else:
                    self._taken.setdefault(message[1], message[2])
                self._changed.notify_all()
        elif kind == "buffered":
            _, self.buffered_bytes, self.held_back = message
        elif kind == "event":
            _, event_name, fields, restarts = message
            self._restarts_reported = restarts
            self._info = ReceiverInfo(**fields)
            self._post(event_name, self._info)
        elif kind == "ready":
            self._resend()

    def _resend(self) -> None:
        """A (re)started service gets the current rate and the take that may have been lost."""
        if self._handle is None:
            return  # the first start: it has the rate, and nothing was asked yet
        self._handle.send(("rate", self.rate))
        with self._changed:
            wanted = self._wanted if self._wanted not in self._taken else None
        if wanted is not None:
            self._handle.send(("take", wanted))

    def _on_moved(self, reason: str) -> None:
        self._moves += 1
        self._restarts_earlier += self._restarts_reported
        self._restarts_reported = 0
        self._info = self._with_error(f"{reason}: restarting the receiver on another worker", is_active=False)
        self._post("onReceiverError", self._info)
