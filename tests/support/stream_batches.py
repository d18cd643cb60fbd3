"""Watching a running stream from a test: each batch's records, and receiver errors."""

from __future__ import annotations

import threading
import time

import pytest

from ember.streaming import StreamingListener


class Collected:
    """Every record of every batch of a DStream; ``wait_for`` blocks until a condition holds."""

    def __init__(self, dstream):
        self.batches: list[list] = []
        self._changed = threading.Condition()
        dstream.foreachRDD(self._add)

    def _add(self, rdd) -> None:
        records = rdd.collect()
        with self._changed:
            self.batches.append(records)
            self._changed.notify_all()

    @property
    def records(self) -> list:
        with self._changed:
            return [record for batch in self.batches for record in batch]

    def wait_for(self, condition, timeout: float = 20.0, what: str = "the expected records") -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition(self.records):
                left = deadline - time.monotonic()
                if left <= 0:
                    pytest.fail(f"timed out waiting for {what}; got {self.records[:20]!r}")
                self._changed.wait(left)


class ReceiverEvents(StreamingListener):
    """The receiver errors reported to listeners, in order."""

    def __init__(self):
        self.errors: list[str] = []

    def onReceiverError(self, receiverError):
        self.errors.append(receiverError.receiverInfo().lastErrorMessage())

    def saw(self, *fragments: str) -> bool:
        return any(all(f in message for f in fragments) for message in list(self.errors))
