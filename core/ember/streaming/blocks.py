"""Received records grouped into blocks, throttled to the configured rate, bounded in bytes.

A receiver's records are cut into a new block every ``spark.streaming.blockInterval`` (as in
Spark, each block becomes one partition of its batch); at each batch time the input stream
takes every block sealed since the previous batch.  ``spark.streaming.receiver.maxRate``
throttles the thread that stores, so a fast source slows down instead of flooding memory.

Whatever the rates, a receiver's records received but not yet processed (in the buffer, or in
batches not yet completed) are bounded by ``spark.ember.streaming.receiver.maxBufferedBytes``:
past it ``store`` blocks until batches complete (``release``), so the source is slowed by TCP
flow control or its own client instead of the heap growing.  Sizes are estimated per record
(``record_bytes``), which is close for the strings and bytes receivers store; a block stored
in the executor's block store ahead of its batch counts from then on as the bytes it takes
there, encoded (``stored``).
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from ember.plugins.receiver import ReceiverStoppedError

MAX_BUFFERED_BYTES_SETTING = "spark.ember.streaming.receiver.maxBufferedBytes"
DEFAULT_MAX_BUFFERED_BYTES = 64 << 20
#: at most one "held back" warning per receiver this often
_WARN_EVERY_S = 30.0
_POINTER = 8  # a list's reference to each record
_log = logging.getLogger("ember.receiver")


def record_bytes(record: Any) -> int:
    """The memory one stored record holds, estimated (its items too, for tuples and lists)."""
    size = sys.getsizeof(record) + _POINTER
    if type(record) in (tuple, list):
        size += sum(map(sys.getsizeof, record))
    return size


def records_bytes(records: list[Any]) -> int:
    """``record_bytes`` summed over ``records``, without a Python call per record when they
    are all text or bytes (what most receivers store).

    ASCII text, a receiver's usual lines, costs one pass: joined, the records take the joined
    text's size plus one empty string's header for each record but the first, exactly as
    ``sys.getsizeof`` sums them (``join`` also checks that each is text; a ``str`` subclass
    counts as the text it holds).
    """
    try:
        joined: str | None = "".join(records)
    except TypeError:
        joined = None  # not all text
    if joined is not None and joined.isascii():
        return sys.getsizeof(joined) + (len(records) - 1) * _EMPTY_TEXT + _POINTER * len(records)
    if joined is not None or set(map(type, records)) <= _FLAT:  # text (the join said so) or bytes
        return sum(map(sys.getsizeof, records)) + _POINTER * len(records)
    return sum(map(record_bytes, records))


_FLAT = {str, bytes}
_EMPTY_TEXT = sys.getsizeof("")


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
    with ``max_block_records``, into pieces of that many: the pieces of one block interval
    still count as one block, ``intervals_taken``), that holds stores back while ``max_bytes``
    of records are not yet processed."""

    def __init__(
        self,
        block_interval_ms: int,
        limiter: RateLimiter,
        clock: Callable[[], float] = time.monotonic,
        max_bytes: int = DEFAULT_MAX_BUFFERED_BYTES,
        name: str = "a receiver",
        max_block_records: int | None = None,
    ):
        self._interval = block_interval_ms / 1000.0
        self._max_records = max_block_records
        self._limiter = limiter
        self._clock = clock
        self._current: list[Any] = []
        self._current_started = 0.0
        self._in_interval = False  # whether a block interval is running (records came in it)
        self._intervals = 0  # block intervals begun since the last take_blocks
        #: of the last ``take_blocks``: how many blocks Spark would have cut (its intervals)
        self.intervals_taken = 0
        self._sealed: list[list[Any]] = []
        #: the bytes counted for the current block and for each sealed one
        self._current_bytes = 0
        self._sealed_bytes: list[int] = []
        self._has_sealed = threading.Event()  # set while sealed blocks wait (``wait_sealed``)
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self.max_bytes = max_bytes
        self.name = name
        #: bytes of records stored and not yet released, and of those the bytes no batch took
        self._bytes = 0
        self._unallocated_bytes = 0
        #: batch time -> bytes of the blocks it took, until ``release``
        self._allocated_bytes: dict[int, int] = {}
        self._room = threading.Condition()
        self._warned_at = -_WARN_EVERY_S
        #: how many times a store waited for room (for tests and monitoring)
        self.held_back = 0

    @property
    def buffered_bytes(self) -> int:
        """Bytes of records stored and not yet processed (released)."""
        return self._bytes

    def close(self) -> None:
        """Refuse every later store, and wake stores waiting for the rate limit or for room."""
        self._closed.set()
        with self._room:
            self._room.notify_all()

    def admit(self, records: list[Any]) -> int:
        """Wait until ``records`` may be stored: for the rate limit, then for room under
        ``max_bytes`` (a store larger than the limit goes in alone); returns their bytes,
        now counted.  Raises ``ReceiverStoppedError`` once the buffer is closed."""
        if (
            self._closed.is_set()
            or not self._limiter.acquire(len(records), self._closed.wait)
            or self._closed.is_set()
        ):
            raise ReceiverStoppedError("the receiver has stopped; the records were not stored")
        size = records_bytes(records)
        if not size:
            return 0
        with self._room:
            if self._bytes and self._bytes + size > self.max_bytes:
                self.held_back += 1
                self._warn_held_back()
                self._room.wait_for(
                    lambda: not self._bytes or self._bytes + size <= self.max_bytes or self._closed.is_set()
                )
            if self._closed.is_set():
                raise ReceiverStoppedError("the receiver has stopped; the records were not stored")
            self._bytes += size
        return size

    def _warn_held_back(self) -> None:
        now = time.monotonic()
        if now - self._warned_at >= _WARN_EVERY_S:
            self._warned_at = now
            _log.warning(
                "%s is held back: %d bytes received are not processed yet, the limit of %s; "
                "it stores again as batches complete, and its source slows down meanwhile "
                "(the job is slower than the input)",
                self.name,
                self._bytes,
                MAX_BUFFERED_BYTES_SETTING,
            )

    def release(self, time_ms: int) -> None:
        """The batches up to ``time_ms`` completed: their bytes no longer count."""
        with self._room:
            for done in [t for t in self._allocated_bytes if t <= time_ms]:
                self._bytes -= self._allocated_bytes.pop(done)
            self._room.notify_all()

    def add(self, record: Any) -> None:
        """Store one record in the current block (after waiting for the rate limit and room)."""
        self.append(record, self.admit([record]))

    def append(self, record: Any, size: int) -> None:
        """Put one record already admitted (``admit``) in the current block."""
        with self._lock:
            self._unallocated_bytes += size
            self._current_block().append(record)
            self._current_bytes += size

    def add_all(self, records: Iterable[Any]) -> None:
        """Store ``records`` in the current block, as ``add`` each would, with one wait."""
        records = list(records)
        if records:
            size = self.admit(records)
            with self._lock:
                self._unallocated_bytes += size
                self._current_block().extend(records)
                self._current_bytes += size

    def _current_block(self) -> list[Any]:
        """The block new records go to: sealed and begun again once the interval is over (or,
        within the interval, once it holds ``max_block_records``)."""
        now = self._clock()
        if not self._in_interval or now - self._current_started >= self._interval:
            self._seal()
            self._in_interval = True
            self._current_started = now
            self._intervals += 1
        elif self._max_records and len(self._current) >= self._max_records:
            self._seal()
        return self._current

    def add_block(self, records: Iterable[Any]) -> None:
        """Store ``records`` as a block of their own (after waiting for the rate limit and room)."""
        block = list(records)
        self.append_block(block, self.admit(block))

    def append_block(self, block: list[Any], size: int) -> None:
        """Put a block already admitted (``admit``) after the others."""
        if block:
            with self._lock:
                self._unallocated_bytes += size
                self._seal()
                self._in_interval = False
                self._intervals += 1
                self._sealed.append(block)
                self._sealed_bytes.append(size)
                self._has_sealed.set()

    def take_blocks(self, time_ms: int | None = None) -> list[list[Any]]:
        """Every block received since the last call, the current one included, oldest first,
        for the batch at ``time_ms``: their bytes count until ``release`` of that batch (at
        once without a time)."""
        with self._lock:
            self._seal()
            self._in_interval = False
            self.intervals_taken, self._intervals = self._intervals, 0
            blocks, self._sealed = self._sealed, []
            self._sealed_bytes = []
            self._has_sealed.clear()
            taken, self._unallocated_bytes = self._unallocated_bytes, 0
        with self._room:
            if time_ms is None:
                self._bytes -= taken
                self._room.notify_all()
            else:
                self._allocated_bytes[time_ms] = self._allocated_bytes.get(time_ms, 0) + taken
        return blocks

    def take_sealed(self) -> list[tuple[list[Any], int]]:
        """The blocks sealed so far, not the current one, with the bytes each counts for (to
        store them before the batch: ``stored``); their bytes count until the batch that takes
        the rest (``take_blocks``) is released."""
        with self._lock:
            sealed = list(zip(self._sealed, self._sealed_bytes))
            self._sealed, self._sealed_bytes = [], []
            self._has_sealed.clear()
            return sealed

    def wait_sealed(self, timeout: float) -> None:
        """Wait (at most ``timeout`` seconds) until a block is sealed and not yet taken."""
        self._has_sealed.wait(timeout)

    def stored(self, counted: int, size: int) -> None:
        """Records of a block from ``take_sealed``, counted as ``counted`` bytes, were stored in
        the block store, where they take ``size`` bytes (encoded): they count as that until
        their batch is released."""
        change = size - counted
        with self._room:
            self._bytes += change
            with self._lock:
                self._unallocated_bytes += change
            if change < 0:
                self._room.notify_all()

    def _seal(self) -> None:
        if self._current:
            self._sealed.append(self._current)
            self._sealed_bytes.append(self._current_bytes)
            self._has_sealed.set()
            self._current = []
            self._current_bytes = 0
