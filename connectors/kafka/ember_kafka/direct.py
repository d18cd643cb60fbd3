"""The direct stream: a replayable source whose position per batch is an offset range per
partition (PySpark's ``KafkaUtils.createDirectStream``).

On the driver, a ``_Cursor`` holds each partition's next offset; every batch it finds the
partitions' log ends (new partitions included), cuts one range per partition, bounded by
``spark.streaming.kafka.maxRatePerPartition``, and moves past it.  ember records the ranges,
so a re-run or recovered batch reads exactly the same records; tasks read them with a reader
cached per worker process.  A broker that cannot be reached makes an empty batch (positions
stay, nothing is skipped); an offset the log no longer holds fails the batch.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Generator, Iterable
from typing import Any

from ember import TaskContext
from ember.plugins import PositionRange, ReplayableSource, SourceContext
from ember_kafka.clients import open_reader, return_task_reader, task_reader
from ember_kafka.clients.base import OffsetReader, Offsets
from ember_kafka.errors import BrokerUnreachableError
from ember_kafka.messages import RecordDecoder
from ember_kafka.offsets import bounded_ends, log_ends, starting_offsets
from ember_kafka.ranges import OffsetRange, TopicAndPartition
from ember_kafka.settings import KafkaSettings

MAX_RATE_PER_PARTITION = "spark.streaming.kafka.maxRatePerPartition"
_log = logging.getLogger("ember.kafka")


def partition_name(partition: TopicAndPartition) -> str:
    """A partition's stable name in ember's recorded ranges: ``topic-N``."""
    return f"{partition.topic}-{partition.partition}"


def offset_range(position_range: PositionRange) -> OffsetRange:
    """PySpark's ``OffsetRange`` for a recorded range (topic names may contain ``-``)."""
    topic, _, number = position_range.partition.rpartition("-")
    return OffsetRange(topic, int(number), position_range.start, position_range.end)


class _Cursor:
    """The driver's side of a direct stream: positions, and the ends each batch chose."""

    def __init__(self, settings: KafkaSettings, topics: list[str], from_offsets: Offsets):
        self.settings = settings
        self.topics = topics
        self.lock = threading.Lock()
        self.reader: OffsetReader | None = open_reader(settings)
        try:
            partitions = self.reader.partitions(topics)
            missing = [p for p in partitions if p not in from_offsets]
            self.positions: Offsets = {
                **starting_offsets(self.reader, missing, settings.auto_offset_reset),
                **from_offsets,
            }
        except BaseException:
            self.reader.close()
            raise
        #: batch time -> the offsets after that batch, until the batch is committed
        self.batch_ends: dict[int, Offsets] = {}

    def lags(self) -> dict[str, int] | None:
        """Records after each partition's position (None while the brokers are away)."""
        with self.lock:
            try:
                reader = self._open_reader()
                self._add_new_partitions(reader)
                latest = log_ends(reader, self.positions)
            except BrokerUnreachableError:
                return None
            return {partition_name(p): max(0, latest[p] - position) for p, position in self.positions.items()}

    def next_ends(self, time_ms: int, max_records: int | Offsets | None) -> tuple[Offsets, Offsets]:
        """The (start, end) offsets of the batch at ``time_ms``; advances the positions."""
        with self.lock:
            try:
                reader = self._open_reader()
                self._add_new_partitions(reader)
                ends = log_ends(reader, self.positions)
            except BrokerUnreachableError as error:
                _log.warning(
                    "Kafka batch at %d is empty, its records wait for the next batch: " "%s", time_ms, error
                )
                self._drop_reader()
                ends = dict(self.positions)
            starts = dict(self.positions)
            ends = bounded_ends(starts, ends, max_records)
            self.positions = dict(ends)
            if self.settings.commit_offsets:
                self.batch_ends[time_ms] = ends
            return starts, ends

    def _open_reader(self) -> OffsetReader:
        """The reader, opened again when ``_drop_reader`` closed it."""
        if self.reader is None:
            self.reader = open_reader(self.settings)
        return self.reader

    def _drop_reader(self) -> None:
        """Close a reader that lost its brokers; the next batch opens a new one, so no
        request queued while they were away is sent to the brokers when they return."""
        if self.reader is not None:
            self.reader.close()
            self.reader = None

    def _add_new_partitions(self, reader: OffsetReader) -> None:
        """Partitions added to the topics since the last batch start at their beginning."""
        new = [p for p in reader.partitions(self.topics) if p not in self.positions]
        if new:
            _log.info(
                "Kafka partitions added: %s; reading them from their first offset", ", ".join(map(str, new))
            )
            self.positions.update(reader.earliest_offsets(new))

    def commit(self, time_ms: int) -> None:
        """Commit the ends of the completed batch at ``time_ms`` (and forget older batches)."""
        with self.lock:
            ends = self.batch_ends.pop(time_ms, None)
            for older in [t for t in self.batch_ends if t < time_ms]:
                del self.batch_ends[older]
            if ends and self.reader is not None:
                self.reader.commit_offsets(ends)

    def close(self) -> None:
        with self.lock:
            self._drop_reader()


class DirectKafkaSource(ReplayableSource):
    """The replayable source behind ``createDirectStream``; picklable (the cursor stays home)."""

    max_rate_setting = MAX_RATE_PER_PARTITION

    def __init__(
        self, settings: KafkaSettings, topics: list[str], from_offsets: Offsets, decoder: RecordDecoder
    ):
        self.settings = settings
        self.topics = topics
        self.from_offsets = dict(from_offsets)
        self.decoder = decoder
        self._cursor: _Cursor | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_cursor"] = None
        return state

    def start(self, context: SourceContext) -> None:
        self._cursor = _Cursor(self.settings, self.topics, self.from_offsets)

    def stop(self) -> None:
        if self._cursor is not None:
            self._cursor.close()

    def _started(self) -> _Cursor:
        if self._cursor is None:
            raise RuntimeError("the Kafka direct stream is not started (ssc.start() starts it)")
        return self._cursor

    def partitions(self) -> list[str]:
        return [partition_name(p) for p in self._started().positions]

    def validate_positions(self, ranges: list[PositionRange]) -> None:
        """Recorded ranges must be of the subscribed topics, with offsets 0 <= start <= end."""
        for position_range in ranges:
            topic, _, number = position_range.partition.rpartition("-")
            if topic not in self.topics or not number.isdigit():
                raise ValueError(
                    f"{position_range.partition!r} is not a partition of the subscribed "
                    f"topics {', '.join(self.topics)}"
                )
            start, end = position_range.start, position_range.end
            if not (type(start) is int and type(end) is int and 0 <= start <= end):
                raise ValueError(
                    f"offsets [{start!r}, {end!r}) of {position_range.partition} are not a range"
                )

    def lags(self) -> dict[str, int] | None:
        """Backpressure shares a batch by these, as Spark's direct Kafka stream does."""
        return self._started().lags()

    def next_ranges(
        self, time_ms: int, max_records_per_partition: int | dict[str, int] | None
    ) -> list[PositionRange]:
        cursor = self._started()
        limits: int | Offsets | None
        if isinstance(max_records_per_partition, dict):  # by name, as lags() gave them
            limits = {
                p: max_records_per_partition[partition_name(p)]
                for p in cursor.positions
                if partition_name(p) in max_records_per_partition
            }
        else:
            limits = max_records_per_partition
        starts, ends = cursor.next_ends(time_ms, limits)
        return [
            PositionRange(partition_name(p), starts[p], ends[p])
            for p in sorted(ends, key=lambda p: (p.topic, p.partition))
        ]

    def read(self, position_range: PositionRange) -> Iterable[Any]:
        records = read_offsets(self.settings, offset_range(position_range))
        context = TaskContext.get()
        if context is not None:
            # a read given up part way (a record that does not decode, a function that raised)
            # closes its reader when the task ends, on the task's thread: left to the garbage
            # collector, librdkafka's client would be closed on whichever thread collects it,
            # which can crash the process (confluent-kafka-python issues 358, 1761)
            context.addTaskCompletionListener(lambda _: records.close())
        return self.decoder(records)

    def restore(self, recorded: dict[int, list[PositionRange]]) -> None:
        """Continue after the last recorded batch: its ends become the positions."""
        cursor = self._started()
        for time_ms in sorted(recorded):
            for position_range in recorded[time_ms]:
                cursor.positions[offset_range(position_range).topicAndPartition()] = position_range.end

    def commit(self, time_ms: int) -> None:
        """Commit the batch at ``time_ms`` to the consumer group (after it completed)."""
        self._started().commit(time_ms)


def read_offsets(settings: KafkaSettings, offsets: OffsetRange) -> Generator[Any, None, None]:
    """The records of ``offsets``, through this process's cached reader."""
    reader = task_reader(settings)
    try:
        yield from reader.read_range(offsets)
    except BaseException:
        reader.close()  # a reader that failed is not trusted with the next task
        raise
    return_task_reader(reader)
