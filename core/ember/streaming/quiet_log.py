"""Log lines that stay few when the same thing keeps happening: a receiver failing to connect
every two seconds for an hour, or a job that stays behind, is one line and then summaries,
not a line per retry or per batch."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

#: how long repeats of one message are counted before a summary line says how many there were
SUMMARY_INTERVAL_S = 60.0


class RepeatLimitedLog:
    """The first occurrence of a message is logged; repeats of it (same ``key``) are counted
    and summarized at most every ``SUMMARY_INTERVAL_S``, or when another message comes."""

    def __init__(self, logger: logging.Logger, clock: Callable[[], float] = time.monotonic):
        self._logger = logger
        self._clock = clock
        self._key: str | None = None
        self._repeats = 0
        self._since = 0.0

    def log(self, level: int, key: str, message: str, *args) -> None:
        now = self._clock()
        if key == self._key:
            self._repeats += 1
            if now - self._since >= SUMMARY_INTERVAL_S:
                self.flush()
            return
        self.flush()
        self._key, self._since = key, now
        self._logger.log(level, message, *args)

    def flush(self) -> None:
        """Log how often the last message repeated since it (or its last summary) was logged."""
        if self._repeats:
            self._logger.log(
                logging.WARNING,
                "... the same happened %d more time%s in the last %.0f s: %s",
                self._repeats,
                "" if self._repeats == 1 else "s",
                self._clock() - self._since,
                self._key,
            )
            self._since = self._clock()
        self._repeats = 0
