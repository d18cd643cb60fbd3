"""Helpers for testing sources that live on real time (receivers, watched directories).

``ember.testing`` drives a StreamingContext on a manual clock, which suits sources whose data
is known in advance.  A receiver's data arrives when a real server sends it, so its tests run
on the real clock and wait for conditions instead of sleeping::

    seen = BatchCollector(ssc.socketTextStream("127.0.0.1", port))
    ssc.start()
    seen.wait_for(lambda c: c.records == ["hello"])
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any


class BatchCollector:
    """Collects every batch of a DStream as (time, records) and waits on conditions over them."""

    def __init__(self, dstream):
        self.batches: list[tuple[Any, list]] = []
        self._changed = threading.Condition()
        dstream.foreachRDD(self._add)

    def _add(self, time, rdd) -> None:
        records = rdd.collect()
        with self._changed:
            self.batches.append((time, records))
            self._changed.notify_all()

    @property
    def records(self) -> list:
        """Every record collected so far, batch after batch."""
        with self._changed:
            return [record for _, records in self.batches for record in records]

    def wait_for(
        self,
        condition: Callable[[BatchCollector], bool],
        timeout: float = 15.0,
        what: str = "the expected records",
    ) -> None:
        """Block until ``condition(self)`` holds after some batch; AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"timed out after {timeout} s waiting for {what}; " f"collected {self.records[:20]!r}"
                    )
                self._changed.wait(left)


def wait_until(condition: Callable[[], bool], timeout: float = 15.0, what: str = "the condition") -> None:
    """Poll ``condition()`` (state with no notification of its own) with a growing pause."""
    deadline = time.monotonic() + timeout
    pause = 0.001
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(pause)
        pause = min(pause * 2, 0.05)
