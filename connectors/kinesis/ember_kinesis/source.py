"""The Kinesis source: each batch reads, per shard, a range of sequence numbers.

On the driver, ``next_ranges`` reads each readable shard from where it stopped, up to what
is there now (or the rate limit), the shards at the same time on threads of their own, and
records the first and last sequence numbers it saw; what it read goes to the batch
(``prefetched``: each record is read once), and a batch recomputed after a failure or restored
from a checkpoint reads exactly those ranges again (``AT_SEQUENCE_NUMBER`` first, until the
last), so it holds the same records.  A
throttled shard gives what it has and is left alone for a growing pause; nothing is skipped,
the next batch continues at the same place.  KPL-aggregated records are split in ``read``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from operator import itemgetter
from typing import Any

from ember.plugins import PositionRange, ReplayableSource, SourceContext
from ember_kinesis.aggregation import deaggregate, user_records
from ember_kinesis.client import (
    KinesisAccess,
    KinesisError,
    KinesisUnreachable,
    call,
    error_code,
    explained,
    is_throttling,
    shared_client,
)
from ember_kinesis.positions import AtTimestamp, InitialPositionInStream, iterator_arguments
from ember_kinesis.shards import ShardCursor, ShardSet

_log = logging.getLogger("ember.kinesis")
_SHARD_ID = re.compile(r"^shardId-\d+$")
_DATA = itemgetter("Data")
#: GetRecords' own maximum per call
MAX_RECORDS_PER_CALL = 10_000
#: at most this many GetRecords calls per shard per batch (Kinesis allows 5 a second per shard)
CALLS_PER_BATCH = 4
#: at most this many shards are read at the same time (boto3's connection pool holds 10)
CONCURRENT_SHARDS = 8


class KinesisSource(ReplayableSource):
    """Reads ``access.stream_name``; records are ``decoder(user record bytes)``."""

    max_rate_setting = "spark.streaming.kinesis.maxRatePerShard"

    def __init__(self, access: KinesisAccess, initial: int | AtTimestamp, decoder: Callable[[bytes], Any]):
        self.access = access
        self.initial = initial
        self.decoder = decoder
        self._shards = ShardSet()
        #: shard -> (first, last sequence number, user records) read by the last next_ranges
        self._fetched: dict[str, tuple[str, str, list[bytes]]] = {}
        self._readers: ThreadPoolExecutor | None = None  # reads the shards of a batch at once

    def __getstate__(self) -> dict[str, Any]:
        """Tasks get the stream's address, never the driver's cursors."""
        return {"access": self.access, "initial": self.initial, "decoder": self.decoder}

    def __setstate__(self, state: dict[str, Any]) -> None:
        type(self).__init__(self, **state)

    @property
    def client(self):
        return shared_client(self.access)

    # -- the driver's side -------------------------------------------------------------------------
    def start(self, context: SourceContext) -> None:
        """List the shards; with LATEST, fix "latest" now: records written after ``ssc.start()``
        are read even when they come before the first batch."""
        self._list_shards()
        if self.initial == InitialPositionInStream.LATEST:
            for cursor in self._shards.readable():
                self._iterator(cursor)

    def stop(self) -> None:
        if self._readers is not None:
            self._readers.shutdown(wait=True)
            self._readers = None

    def partitions(self) -> list[str]:
        return list(self._shards.cursors)

    def next_ranges(
        self, time_ms: int, max_records_per_partition: int | dict[str, int] | None
    ) -> list[PositionRange]:
        """The new records of each readable shard; every other shard that has a position gets an
        empty range at it, so that the newest batch alone tells a recovery where all shards are."""
        # one maximum for every shard: only a source that reports lags() gets them by partition
        limit = max_records_per_partition if isinstance(max_records_per_partition, int) else None
        limit = limit or MAX_RECORDS_PER_CALL * CALLS_PER_BATCH
        self._fetched = {}
        ranges = [r for r in self._read_shards(self._shards.readable(), limit) if r]
        read_now = {r.partition for r in ranges}
        ranges += [
            PositionRange(cursor.shard_id, cursor.after, cursor.after, 0)
            for cursor in self._shards.cursors.values()
            if cursor.after is not None and cursor.shard_id not in read_now
        ]
        if any(
            cursor.finished and not self._children_listed(cursor) for cursor in self._shards.cursors.values()
        ):
            self._list_shards()
        return ranges

    def prefetched(self, position_range: PositionRange) -> list | None:
        """The records ``next_ranges`` read from the shard to find the range's end, decoded, so
        tasks need not read them again; None when the decoder fails on one (the task reading
        the range then reports it, as without this)."""
        fetched = self._fetched.pop(position_range.partition, None)
        if fetched is None or fetched[:2] != (position_range.start, position_range.end):
            return None
        try:
            return list(map(self.decoder, fetched[2]))
        except Exception:  # noqa: BLE001 - read() raises it with the record's position
            return None

    def validate_positions(self, ranges: list[PositionRange]) -> None:
        """Recorded ranges must name shards by Kinesis' shard ids, with sequence numbers (which
        are decimal) in order.  Shard ids repeat across streams, so this alone cannot tell a
        position of another stream; Kinesis refuses its sequence numbers when they are read."""
        for position_range in ranges:
            if not isinstance(position_range.partition, str) or not _SHARD_ID.match(position_range.partition):
                raise ValueError(f"{position_range.partition!r} is not a shard id of {self.access.where()}")
            start, end = position_range.start, position_range.end
            if not (
                isinstance(start, str)
                and isinstance(end, str)
                and start.isdigit()
                and end.isdigit()
                and int(start) <= int(end)
            ):
                raise ValueError(
                    f"sequence numbers [{start!r}, {end!r}] of shard {position_range.partition} "
                    "are not a range"
                )

    def restore(self, recorded: dict[int, list[PositionRange]]) -> None:
        last: dict[str, str] = {}
        for time_ms in sorted(recorded):
            for position_range in recorded[time_ms]:
                last[position_range.partition] = position_range.end
        self._shards.restore(last)

    def _list_shards(self) -> None:
        shards, token = [], None
        while True:
            query: dict[str, Any] = {"NextToken": token} if token else {"StreamName": self.access.stream_name}
            answer = call(self.access, "listing its shards", lambda: self.client.list_shards(**query))
            shards += answer["Shards"]
            token = answer.get("NextToken")
            if not token:
                break
        self._shards.update(shards)

    def _children_listed(self, parent: ShardCursor) -> bool:
        return any(parent.shard_id in cursor.parents for cursor in self._shards.cursors.values())

    def _read_shards(self, cursors: list[ShardCursor], limit: int) -> list[PositionRange | None]:
        """``_read_new`` of every cursor, at the same time when there are several (each touches
        only its own cursor); the first error is raised once every read has ended."""
        if len(cursors) < 2:
            return [self._read_new(cursor, limit) for cursor in cursors]
        if self._readers is None:
            self._readers = ThreadPoolExecutor(CONCURRENT_SHARDS, thread_name_prefix="ember-kinesis-read")
        reads = [self._readers.submit(self._read_new, cursor, limit) for cursor in cursors]
        errors = [read.exception() for read in reads]
        for error in errors:
            if error is not None:
                raise error
        return [read.result() for read in reads]

    def _read_new(self, cursor: ShardCursor, limit: int) -> PositionRange | None:
        """Read what ``cursor``'s shard holds now (at most ``limit`` records); move past it."""
        first = last = None
        count = 0
        fetched: list[bytes] = []
        try:
            for _ in range(CALLS_PER_BATCH):
                answer = self.client.get_records(
                    ShardIterator=self._iterator(cursor), Limit=min(limit - count, MAX_RECORDS_PER_CALL)
                )
                records = answer["Records"]
                if records:
                    first = first or records[0]["SequenceNumber"]
                    last = records[-1]["SequenceNumber"]
                    fetched += user_records(list(map(_DATA, records)))
                    count = len(fetched)
                    cursor.after = last
                cursor.iterator = answer.get("NextShardIterator")
                if cursor.iterator is None:
                    cursor.finished = True
                    break
                if count >= limit or not records or answer.get("MillisBehindLatest") == 0:
                    break
            self._shards.read_well(cursor)
        except Exception as error:  # noqa: BLE001 - sorted: throttled, expired, transient, fatal
            self._read_failed(cursor, error)
        if first is None or last is None:  # both or neither: set from the same records
            return None
        self._fetched[cursor.shard_id] = (first, last, fetched)
        return PositionRange(cursor.shard_id, first, last, count)

    def _iterator(self, cursor: ShardCursor) -> str:
        if cursor.iterator is None:
            arguments = iterator_arguments(self.initial, cursor.after, cursor.new)
            opened = call(
                self.access,
                f"opening shard {cursor.shard_id}",
                lambda: self.client.get_shard_iterator(
                    StreamName=self.access.stream_name, ShardId=cursor.shard_id, **arguments
                ),
            )
            cursor.iterator = opened["ShardIterator"]
        return cursor.iterator

    def _read_failed(self, cursor: ShardCursor, error: Exception) -> None:
        """What was read stays read; the shard is retried later or the error is the user's."""
        cursor.iterator = None  # reopened after ``cursor.after`` next time
        if is_throttling(error):
            self._shards.pause(cursor)
            _log.info(
                "shard %s of %s is throttled; pausing it %.1f s",
                cursor.shard_id,
                self.access.where(),
                cursor.backoff_s,
            )
            return
        if error_code(error) == "ExpiredIteratorException":
            return
        problem = error if isinstance(error, KinesisError) else explained(error, self.access, "reading")
        if isinstance(problem, KinesisUnreachable):
            self._shards.pause(cursor)
            _log.warning("%s; shard %s is retried in %.1f s", problem, cursor.shard_id, cursor.backoff_s)
            return
        if problem is not None:
            raise problem from error
        raise error

    # -- the tasks' side ---------------------------------------------------------------------------
    def read(self, position_range: PositionRange) -> Iterator[Any]:
        if position_range.records == 0:
            return  # a shard's position, carried by a batch that read nothing from it
        shard, end = position_range.partition, int(position_range.end)
        doing = f"re-reading shard {shard} from {position_range.start}"
        iterator = call(
            self.access,
            doing,
            lambda: self.client.get_shard_iterator(
                StreamName=self.access.stream_name,
                ShardId=shard,
                ShardIteratorType="AT_SEQUENCE_NUMBER",
                StartingSequenceNumber=position_range.start,
            )["ShardIterator"],
        )
        while iterator is not None:
            answer = call(
                self.access,
                doing,
                lambda: self.client.get_records(ShardIterator=iterator, Limit=MAX_RECORDS_PER_CALL),
            )
            for record in answer["Records"]:
                sequence_number = record["SequenceNumber"]
                if int(sequence_number) > end:
                    return
                yield from (
                    self._decoded(data, shard, sequence_number) for data in deaggregate(record["Data"])
                )
                if int(sequence_number) == end:
                    return
            if not answer["Records"] and answer.get("MillisBehindLatest") == 0:
                break
            iterator = answer.get("NextShardIterator")
        raise KinesisError(
            f"shard {shard} of {self.access.where()} no longer holds records up to {end} "
            f"(from {position_range.start}); were they trimmed by the retention period?"
        )

    def _decoded(self, data: bytes, shard: str, sequence_number: str) -> Any:
        try:
            return self.decoder(data)
        except Exception as error:
            raise ValueError(
                f"the decoder failed on record {sequence_number} of shard {shard} of "
                f"{self.access.where()}: {type(error).__name__}: {error}"
            ) from error
