"""Output operations that write to a ``Sink``: each batch opened on the driver, its partitions
written by tasks, then committed at once (or aborted when a task failed)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ember.plugins.sink import Sink, batch_time_ms


def write_batch(sink: Sink, time_ms: int, rdd) -> None:
    """Write every partition of ``rdd`` to ``sink`` as the batch at ``time_ms`` and commit it."""
    batch = sink.open_batch(time_ms)

    def write(index: int, records: Iterator[Any]) -> list[Any]:
        return [sink.write_partition(batch, index, records)]

    try:
        receipts = rdd.mapPartitionsWithIndex(write).collect()
    except BaseException as error:
        sink.abort_batch(batch, error)
        raise
    sink.commit_batch(batch, receipts)


def write_batches_to(dstream, sink: Sink) -> None:
    """Register an output operation on ``dstream`` that writes each batch to ``sink``."""
    dstream.foreachRDD(lambda time, rdd: write_batch(sink, batch_time_ms(time), rdd))
