"""Received records grouped into blocks, throttled to the configured rate.

A receiver's records are cut into a new block every ``spark.streaming.blockInterval`` (as in
Spark, each block becomes one partition of its batch); at each batch time the input stream
takes every block sealed since the previous batch.  ``spark.streaming.receiver.maxRate``
throttles the thread that stores, so a fast source slows down instead of flooding memory.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from ember.plugins.receiver import ReceiverStoppedError


class RateLimiter:
    """At most ``per_second`` permits a second (0 or less: unlimited), evenly spaced.

    ``acquire`` makes the calling thread wait until its permits are due; permits not used
    while idle are not saved up, so a burst after a pause is throttled too.  ``wait(seconds)``
    returns True when the wait was cut short (the buffer was closed).
    """

    def __init__(
        self,
        per_second: float,
        clock: Callable[[], float] = time.monotonic,
        wait: Callable[[float], bool] | None = None,
    ):
        self.per_second = per_second
        self._clock = clock
        self._wait = wait
        self._next_free = 0.0
        self._lock = threading.Lock()

    @property
    def unlimited(self) -> bool:
        return self.per_second <= 0

    def acquire(self, permits: int = 1, wait: Callable[[float], bool] | None = None) -> bool:
        """Wait for ``permits``; False when ``wait`` (or the limiter's own) was interrupted."""
        if self.unlimited or permits <= 0:
            return True
        with self._lock:
            now = self._clock()
            start = max(self._next_free, now)
            self._next_free = start + permits / self.per_second
        if start > now:
            waiter = wait or self._wait or _sleep
            return not waiter(start - now)
        return True


def _sleep(seconds: float) -> bool:
    time.sleep(seconds)
    return False


class BlockBuffer:
    """Thread-safe buffer of received records, sealed into blocks by time and by batch (and,
    with ``max_block_records``, once a block holds that many)."""

    def __init__(
        self,
        block_interval_ms: int,
        limiter: RateLimiter,
        clock: Callable[[], float] = time.monotonic,
        max_block_records: int | None = None,
    ):
        self._interval = block_interval_ms / 1000.0
        self._max_records = max_block_records
        self._limiter = limiter
        self._clock = clock
        self._current: list[Any] = []
        self._current_started = 0.0
        self._sealed: list[list[Any]] = []
        self._lock = threading.Lock()
        self._closed = threading.Event()

    def close(self) -> None:
        """Refuse every later store, and wake stores waiting for the rate limit."""
        self._closed.set()

    def _admit(self, permits: int) -> None:
        if (
            self._closed.is_set()
            or not self._limiter.acquire(permits, self._closed.wait)
            or self._closed.is_set()
        ):
            raise ReceiverStoppedError("the receiver has stopped; the records were not stored")

    def add(self, record: Any) -> None:
        """Store one record in the current block (after waiting for the rate limit)."""
        self._admit(1)
        with self._lock:
            self._current_block().append(record)

    def add_all(self, records: Iterable[Any]) -> None:
        """Store ``records`` in the current block, as ``add`` each would, with one wait."""
        records = list(records)
        if records:
            self._admit(len(records))
            with self._lock:
                self._current_block().extend(records)

    def _current_block(self) -> list[Any]:
        """The block new records go to: sealed and begun again once the interval is over."""
        now = self._clock()
        if self._current and (
            now - self._current_started >= self._interval
            or (self._max_records and len(self._current) >= self._max_records)
        ):
            self._seal()
        if not self._current:
            self._current_started = now
        return self._current

    def add_block(self, records: Iterable[Any]) -> None:
        """Store ``records`` as a block of their own (after waiting for the rate limit)."""
        block = list(records)
        self._admit(len(block))
        if block:
            with self._lock:
                self._seal()
                self._sealed.append(block)

    def take_blocks(self, time_ms: int | None = None) -> list[list[Any]]:
        """Every block received since the last call, the current one included, oldest first,
        for the batch at ``time_ms`` (which wrappers such as the write-ahead log record)."""
        with self._lock:
            self._seal()
            blocks, self._sealed = self._sealed, []
            return blocks

    def take_sealed(self) -> list[list[Any]]:
        """The blocks sealed so far, not the current one (to store them before the batch)."""
        with self._lock:
            blocks, self._sealed = self._sealed, []
            return blocks

    def _seal(self) -> None:
        if self._current:
            self._sealed.append(self._current)
            self._current = []
