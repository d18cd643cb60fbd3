"""Clocks the batch scheduler waits on: the system clock, and a manual one for tests.

The scheduler never sleeps for "an interval": it waits until the clock reaches the next batch
time (zero + k * interval), so batches do not drift however long processing takes.  A
``ManualClock`` only moves when a test advances it, which makes streaming tests exact and
fast.  Times are integer milliseconds.
"""

from __future__ import annotations

import threading
import time


class Clock:
    """The interface the scheduler uses."""

    #: whether time passes by itself (a graceful stop may then wait for the next batch time)
    advances_by_itself = True

    def wake(self) -> None:
        """Let a thread waiting on the clock look again (a clock moved by hand needs it)."""

    def time_ms(self) -> int:
        raise NotImplementedError

    def wait_till(self, target_ms: int, cancelled: threading.Event) -> bool:
        """Block until the clock reaches ``target_ms`` or ``cancelled`` is set; True when reached."""
        raise NotImplementedError


class SystemClock(Clock):
    def time_ms(self) -> int:
        return int(time.time() * 1000)

    def wait_till(self, target_ms: int, cancelled: threading.Event) -> bool:
        while not cancelled.is_set():
            remaining = target_ms - self.time_ms()
            if remaining <= 0:
                break
            cancelled.wait(min(remaining / 1000.0, 0.1))
        return self.time_ms() >= target_ms


class ManualClock(Clock):
    """A clock that stands still until ``advance`` or ``set_time`` moves it."""

    advances_by_itself = False

    def __init__(self, start_ms: int = 0):
        self._now = int(start_ms)
        self._changed = threading.Condition()

    def time_ms(self) -> int:
        with self._changed:
            return self._now

    def set_time(self, time_ms: int) -> None:
        with self._changed:
            if time_ms < self._now:
                raise ValueError(f"a manual clock cannot go back in time ({time_ms} < {self._now})")
            self._now = int(time_ms)
            self._changed.notify_all()

    def advance(self, millis: int) -> None:
        if millis < 0:
            raise ValueError(f"cannot advance a clock by a negative duration ({millis} ms)")
        with self._changed:
            self._now += int(millis)
            self._changed.notify_all()

    def wake(self) -> None:
        """Wake waiters so they notice a cancellation."""
        with self._changed:
            self._changed.notify_all()

    def wait_till(self, target_ms: int, cancelled: threading.Event) -> bool:
        with self._changed:
            while self._now < target_ms and not cancelled.is_set():
                self._changed.wait(0.05)
            return self._now >= target_ms
