"""Saying so when a job cannot keep up with its input.

When batches take longer than the batch interval, every batch waits longer than the one
before it to start (its scheduling delay grows), and received input waits with it until the
receivers are held back at their byte limit (``blocks.py``).  ``GrowingDelayWarning`` watches
the delays of completed batches and warns, at most once a minute, while they keep growing.
"""
from __future__ import annotations

import logging
import time
from collections import deque

from ember.streaming.durations import format_ms
from ember.streaming.listener import BatchInfo

_log = logging.getLogger("ember.streaming")


class GrowingDelayWarning:
    """Warns when the scheduling delay grew across the last ``batches`` batches to more than
    one batch interval."""

    def __init__(self, batch_ms: int, batches: int = 5, every_s: float = 60.0):
        self.batch_ms = batch_ms
        self.every_s = every_s
        self._delays: deque[int] = deque(maxlen=batches + 1)
        self._warned_at: float | None = None
        #: warnings given so far
        self.warnings = 0

    def observe(self, info: BatchInfo) -> None:
        delay = info.schedulingDelay()
        if delay < 0:
            return
        self._delays.append(delay)
        delays = list(self._delays)
        growing = len(delays) == self._delays.maxlen and all(a < b for a, b in zip(delays, delays[1:]))
        now = time.monotonic()
        if growing and delay > self.batch_ms and (self._warned_at is None or now - self._warned_at >= self.every_s):
            self._warned_at = now
            self.warnings += 1
            _log.warning("The scheduling delay keeps growing: %s for the batch at %d ms, up from %s %d batches "
                         "before; batches take longer than the %s batch interval, so input waits (receivers "
                         "are held back at spark.ember.streaming.receiver.maxBufferedBytes). Enable "
                         "spark.streaming.backpressure.enabled, give the job more cores, or lengthen the interval",
                         format_ms(delay), info.batch_time_ms, format_ms(delays[0]), len(delays) - 1,
                         format_ms(self.batch_ms))
