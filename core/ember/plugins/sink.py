"""Sinks: where output operations write, one atomic commit per batch.

A batch's partitions are written by tasks (``write_partition``), each returning a small
receipt; the driver then commits the batch with every receipt (``commit_batch``).  A sink
makes the commit atomic and idempotent (write aside, then rename or swap in), so that a batch
re-run after a failure or a recovery replaces its output instead of adding to it.
"""

from __future__ import annotations

import datetime
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any


class Sink(ABC):
    """Base of every sink.  Must be picklable: ``write_partition`` runs inside tasks."""

    def open_batch(self, time_ms: int) -> Any:
        """Prepare the batch at ``time_ms`` on the driver; the returned plain value (a temp
        location, a transaction id) reaches every ``write_partition`` of the batch."""
        return time_ms

    @abstractmethod
    def write_partition(self, batch: Any, partition: int, records: Iterator[Any]) -> Any:
        """Write one partition of the batch (in a task); return a small picklable receipt."""

    @abstractmethod
    def commit_batch(self, batch: Any, receipts: list[Any]) -> None:
        """Make the batch's output visible at once, replacing an earlier run of the batch."""

    def abort_batch(self, batch: Any, error: BaseException) -> None:
        """Undo a batch whose writing failed (remove what ``write_partition`` left).  No task
        of the batch is still running by then (``Executor.run_tasks`` waits for them)."""


def batch_time_ms(time: Any) -> int:
    """The batch time ``foreachRDD`` passes (a datetime, as in PySpark, or milliseconds)."""
    if isinstance(time, datetime.datetime):
        return round(time.timestamp() * 1000)
    return int(time)
