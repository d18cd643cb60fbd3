"""A receiver that emits ``"tick <n>"`` lines at a steady pace: the smallest push source.

Its shape is every receiver's: ``onStart`` starts a thread and returns, the thread stores
records until ``isStopped()``, ``onStop`` lets it end.
"""

from __future__ import annotations

import threading

from ember.plugins import Receiver, ReceiverStoppedError, create_source_stream


class TickerReceiver(Receiver):
    """Stores ``count`` records ``"tick 0"``, ``"tick 1"``... one every ``interval_ms``."""

    def __init__(self, count: int, interval_ms: int):
        super().__init__()
        if count < 0 or interval_ms < 0:
            raise ValueError(
                f"ticker: count and interval_ms must not be negative, got {count}, {interval_ms}"
            )
        self.count = count
        self.interval_ms = interval_ms
        self._stopped = threading.Event()

    def onStart(self) -> None:
        self._stopped.clear()
        threading.Thread(target=self._tick, daemon=True, name="ticker").start()

    def onStop(self) -> None:
        self._stopped.set()

    def _tick(self) -> None:
        for number in range(self.count):
            if self.isStopped() or self._stopped.wait(self.interval_ms / 1000):
                return
            try:
                self.store(f"tick {number}")
            except ReceiverStoppedError:
                return  # the stream stopped between the check and the store


class TickerUtils:
    """What a user calls, as with Spark's ``KafkaUtils``: ``TickerUtils.createStream(ssc, 10)``."""

    @staticmethod
    def createStream(ssc, count: int, interval_ms: int = 10):
        return create_source_stream(ssc, "ticker", count=count, interval_ms=interval_ms)
