"""Saying so when a job cannot keep up with its input.

When batches take longer than the batch interval, every batch waits longer than the one
before it to start (its scheduling delay grows), and received input waits with it until the
receivers are held back at their byte limit (``blocks.py``).  ``FallingBehindWarning`` watches
the delays of completed batches: one warning when batches start more than ``BEHIND_BATCHES``
intervals late, one when the job has caught up, and in between, at most once a minute, one
while the delay keeps growing.  One line per change, never one per batch.
"""

from __future__ import annotations

import logging
import time
from collections import deque

from ember.streaming.durations import format_ms
from ember.streaming.listener import BatchInfo

_log = logging.getLogger("ember.streaming")

#: batches starting later than this many intervals count as falling behind
BEHIND_BATCHES = 3


class FallingBehindWarning:
    def __init__(self, batch_ms: int, growing_over: int = 5, every_s: float = 60.0):
        self.batch_ms = batch_ms
        self.every_s = every_s
        self.behind = False
        self._delays: deque[int] = deque(maxlen=growing_over + 1)
        self._growth_warned_at: float | None = None

    def observe(self, info: BatchInfo) -> None:
        delay = info.schedulingDelay()
        if delay < 0:
            return
        behind = delay > BEHIND_BATCHES * self.batch_ms
        if behind and not self.behind:
            _log.warning(
                "The job is falling behind: the batch at %d ms started %.3f s late (over %d batch "
                "intervals of %.3f s); its processing took %.3f s. Batches queue up while processing "
                "takes longer than the interval",
                info.batch_time_ms,
                delay / 1000,
                BEHIND_BATCHES,
                self.batch_ms / 1000,
                info.processingDelay() / 1000,
            )
            self._growth_warned_at = time.monotonic()
        elif self.behind and not behind:
            _log.warning(
                "The job has caught up: the batch at %d ms started %.3f s after its time",
                info.batch_time_ms,
                delay / 1000,
            )
        self.behind = behind
        self._note_growth(info, delay)

    def _note_growth(self, info: BatchInfo, delay: int) -> None:
        """While behind, a reminder at most every ``every_s`` when the delay still grows."""
        self._delays.append(delay)
        delays = list(self._delays)
        growing = len(delays) == self._delays.maxlen and all(a < b for a, b in zip(delays, delays[1:]))
        now = time.monotonic()
        if not (self.behind and growing) or (
            self._growth_warned_at is not None and now - self._growth_warned_at < self.every_s
        ):
            return
        self._growth_warned_at = now
        _log.warning(
            "The scheduling delay keeps growing: %s for the batch at %d ms, up from %s %d batches "
            "before; batches take longer than the %s batch interval, so input waits (receivers "
            "are held back at spark.ember.streaming.receiver.maxBufferedBytes). Enable "
            "spark.streaming.backpressure.enabled, give the job more cores, or lengthen the interval",
            format_ms(delay),
            info.batch_time_ms,
            format_ms(delays[0]),
            len(delays) - 1,
            format_ms(self.batch_ms),
        )
