"""Fixtures for connector tests: a running StreamingContext and a collector of its batches."""
from __future__ import annotations

import threading
import time

import pytest

from ember.streaming import StreamingContext

BATCH_SECONDS = 0.1


class BatchCollector:
    """Collects every batch of a DStream (time, records) and waits on conditions over them."""

    def __init__(self, dstream):
        self.batches: list[tuple[object, list]] = []
        self._changed = threading.Condition()
        dstream.foreachRDD(self._add)

    def _add(self, time, rdd) -> None:
        records = rdd.collect()
        with self._changed:
            self.batches.append((time, records))
            self._changed.notify_all()

    @property
    def records(self) -> list:
        with self._changed:
            return [record for _, records in self.batches for record in records]

    def wait_for(self, condition, timeout: float = 15.0, what: str = "the expected records") -> None:
        """Wait until ``condition(self)`` holds; fail with what was seen when it does not."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(f"timed out waiting for {what}; got {self.records[:20]!r}")
                self._changed.wait(left)


def _wait_until(condition, timeout: float = 15.0, what: str = "the condition") -> None:
    """Poll ``condition()`` (for state with no notification of its own) until it holds."""
    deadline = time.monotonic() + timeout
    pause = 0.001
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


@pytest.fixture
def ssc(sc):
    context = StreamingContext(sc, BATCH_SECONDS)
    try:
        yield context
    finally:
        context.stop(stopSparkContext=False)


@pytest.fixture
def collect():
    return BatchCollector


@pytest.fixture
def wait_until():
    """``wait_until(condition, timeout, what)``: poll state that has no notification of its own."""
    return _wait_until
