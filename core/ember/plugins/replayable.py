"""Replayable sources (files, Kafka, Kinesis): what each batch reads is a range of positions.

The source decides, per batch, which range of each partition the batch reads (offsets, a
file's bytes, shard sequence numbers) and reads a range back on request.  ember records the
ranges of every batch as plain data, so that a batch re-run after a failure or restored from
a checkpoint reads exactly the same records; that is what makes exactly-once possible.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import astuple, dataclass
from typing import Any, ClassVar

from ember.conf import SparkConf


@dataclass(frozen=True)
class SourceContext:
    """What a source learns when its stream starts."""

    stream_id: int
    batch_ms: int
    conf: SparkConf


@dataclass(frozen=True)
class PositionRange:
    """The part of one source partition that one batch reads: [start, end).

    ``start`` and ``end`` are plain data chosen by the source (integers for offsets); they are
    checkpointed with msgpack, so no objects.  ``records`` is the count when known in advance.
    """

    partition: str
    start: Any
    end: Any
    records: int | None = None

    # PySpark's OffsetRange names, so ``rdd.offsetRanges()`` code ports unchanged.
    @property
    def fromOffset(self) -> Any:
        return self.start

    @property
    def untilOffset(self) -> Any:
        return self.end

    def count(self) -> int | None:
        """How many records the range holds, when the source knows it."""
        if self.records is not None:
            return self.records
        if isinstance(self.start, int) and isinstance(self.end, int):
            return self.end - self.start
        return None

    def to_data(self) -> list[Any]:
        """Plain data for checkpoints: ``[partition, start, end, records]``."""
        return list(astuple(self))

    @classmethod
    def from_data(cls, data: list[Any]) -> PositionRange:
        return cls(*data)


class ReplayableSource(ABC):
    """Base of every positioned source.  Must be picklable: ``read`` runs inside tasks."""

    #: the setting (records per second per partition) that bounds a batch, e.g.
    #: ``"spark.streaming.kafka.maxRatePerPartition"``; ``None`` when the source has none
    max_rate_setting: ClassVar[str | None] = None

    def start(self, context: SourceContext) -> None:
        """Called once on the driver before the first batch (connect, list partitions)."""

    def stop(self) -> None:
        """Called once on the driver when the StreamingContext stops."""

    @abstractmethod
    def partitions(self) -> list[str]:
        """The source's partitions as stable names (``"topic-0"``, a directory, a shard id)."""

    @abstractmethod
    def next_ranges(
        self, time_ms: int, max_records_per_partition: int | dict[str, int] | None
    ) -> list[PositionRange]:
        """Choose what the batch at ``time_ms`` reads, at most ``max_records_per_partition``
        per partition when given, and move past it.  Each range is one partition of the
        batch's RDD; an empty list is an empty batch.  A source that reports ``lags()`` gets,
        under backpressure, a dict: partition -> its own maximum."""

    def prefetched(self, position_range: PositionRange) -> list[Any] | None:
        """The records of ``position_range`` when ``next_ranges`` had to read them to cut it
        (Kinesis finds a shard's end only by reading it), else None.  Called on the driver
        right after ``next_ranges``, once per range; the batch's computations then read them
        from the executor's block store instead of calling ``read`` (a recovery still reads)."""
        return None

    def lags(self) -> dict[str, int] | None:
        """Records each partition holds beyond the current position, when the source knows
        (Kafka: the latest offset minus the position).  Under backpressure a batch's records
        are then shared by the partitions in proportion to their lag, as Spark shares them,
        rather than evenly.  Called on the driver before ``next_ranges``; None: even shares."""
        return None

    @abstractmethod
    def read(self, position_range: PositionRange) -> Iterable[Any]:
        """The records of ``position_range`` (runs in a task, maybe in another process)."""

    def validate_positions(self, ranges: list[PositionRange]) -> None:
        """Refuse ranges this source could not have chosen: raise ``ValueError`` saying which
        and why (a file outside the directory, a topic not subscribed to).  Called on
        recovery, before any range is read or ``restore`` sees it, because a checkpoint file
        may have been edited; recovery then falls back to an older checkpoint.  The default
        accepts every range."""

    def restore(self, recorded: dict[int, list[PositionRange]]) -> None:
        """Continue after the batches recorded in a checkpoint (time -> ranges): the default
        does nothing; a source with a cursor moves it past the last recorded ranges."""
