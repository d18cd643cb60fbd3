"""The small interface ember's Kafka code needs from a client library, and nothing more.

Two implementations sit behind it (``kafka_python`` and ``confluent``); the direct stream,
the receiver and the sink only talk to these classes, so the semantics tests run unchanged
on both.  Three roles, one class each:

- ``OffsetReader``: metadata, offsets and reading a fixed offset range (no group membership);
  the direct stream's driver and its tasks use it.
- ``GroupConsumer``: a subscribed member of a consumer group with manual commits (createStream).
- ``RecordProducer``: sends with ``acks=all`` and flushes (the sink).
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator

from ember_kafka.errors import RangeReadError
from ember_kafka.messages import FetchedRecord
from ember_kafka.ranges import OffsetRange, TopicAndPartition
from ember_kafka.settings import KafkaSettings

Offsets = dict[TopicAndPartition, int]


class OffsetReader(ABC):
    """Reads topic partitions by offset; one per driver, one cached per task process."""

    def __init__(self, settings: KafkaSettings):
        self.settings = settings

    @abstractmethod
    def partitions(self, topics: Iterable[str]) -> list[TopicAndPartition]:
        """Every partition of ``topics`` from fresh metadata; ``TopicNotFoundError`` when one
        does not exist, ``BrokerUnreachableError`` when no broker answers."""

    @abstractmethod
    def earliest_offsets(self, partitions: Iterable[TopicAndPartition]) -> Offsets:
        """The first offset still in each partition's log."""

    @abstractmethod
    def reported_latest_offsets(self, partitions: Iterable[TopicAndPartition]) -> Offsets:
        """The high watermark each partition's leader reports.  May be too low (Tansu reports
        the last batch's base offset + 1): ``offsets.latest_offsets`` corrects it."""

    @abstractmethod
    def last_offsets_after(self, starts: Offsets, timeout_s: float) -> Offsets:
        """Fetch from each ``starts`` offset and return, per partition that answered within
        ``timeout_s``, the offset after the last record seen, or, when the fetch found no
        record, the log end offset the fetch reported."""

    @abstractmethod
    def poll_range(self, offset_range: OffsetRange) -> Iterator[list[FetchedRecord]]:
        """Start reading ``offset_range`` and yield what each fetch returned (maybe an empty
        list, maybe records past the range); ``position`` tells how far it got."""

    @abstractmethod
    def position(self, partition: TopicAndPartition) -> int:
        """The next offset ``poll_range`` would return for ``partition``."""

    @abstractmethod
    def committed_offsets(
        self, partitions: Iterable[TopicAndPartition]
    ) -> dict[TopicAndPartition, int | None]:
        """The offsets ``settings.group_id`` committed (``None`` where it has none)."""

    @abstractmethod
    def commit_offsets(self, offsets: Offsets) -> None:
        """Commit ``offsets`` (next offsets to read) for ``settings.group_id``, synchronously."""

    @abstractmethod
    def close(self) -> None:
        """Release connections."""

    def read_range(self, offset_range: OffsetRange) -> Iterator[FetchedRecord]:
        """Every record of ``offset_range``, in offset order.

        Reading ends at the range's end offset, not when the broker says the log ends, so a
        broker that under-reports its high watermark loses nothing.  Gaps (compaction,
        transaction markers) are skipped because the position, not a record count, decides.
        When no record arrives for ``read_timeout_ms``, ``RangeReadError`` fails the task
        rather than returning a short batch.
        """
        until = offset_range.untilOffset
        if until <= offset_range.fromOffset:
            return
        partition = offset_range.topicAndPartition()
        patience = self.settings.read_timeout_ms / 1000.0
        deadline = time.monotonic() + patience
        for records in self.poll_range(offset_range):
            if records:
                deadline = time.monotonic() + patience
                if records[-1].offset < until:
                    yield from records
                else:
                    yield from (r for r in records if r.offset < until)
            if self.position(partition) >= until or (records and records[-1].offset >= until - 1):
                return
            if time.monotonic() > deadline:
                raise RangeReadError(
                    f"Reading {offset_range} stopped at offset {self.position(partition)}: no "
                    f"record arrived for {self.settings.read_timeout_ms} ms (kafkaParams "
                    "'ember.kafka.read.timeout.ms'). The broker at "
                    f"{self.settings.bootstrap_servers!r} is down or no longer holds these "
                    "records; the batch fails rather than skip them."
                )


class GroupConsumer(ABC):
    """A member of a consumer group subscribed to topics; commits only when told to."""

    @abstractmethod
    def poll(self, timeout_s: float, max_records: int) -> list[FetchedRecord]:
        """The next records of the assigned partitions (empty after ``timeout_s``)."""

    @abstractmethod
    def commit(self, offsets: Offsets) -> None:
        """Commit ``offsets`` (the next offsets to read), synchronously."""

    @abstractmethod
    def close(self) -> None:
        """Leave the group without committing."""


class RecordProducer(ABC):
    """Sends records with ``acks=all``; ``flush`` returns once every one is acknowledged."""

    @abstractmethod
    def send(self, topic: str, key: bytes | None, value: bytes | None) -> None:
        """Queue one record; a delivery failure surfaces from ``flush``."""

    @abstractmethod
    def flush(self, timeout_s: float) -> None:
        """Wait until every queued record is acknowledged; raise if one was not."""

    @abstractmethod
    def close(self) -> None:
        """Flush what is queued and release connections."""
