"""The Kinesis source: each batch takes, per shard, a range of sequence numbers.

From ``start`` on, every readable shard is read ahead of the batches on threads
(``ember_kinesis.readahead``), into a bounded buffer per shard.  ``next_ranges`` takes from
each buffer at most the batch's limit and records the first and last sequence numbers it
took; the records go to the batch (``prefetched``: each record is read once), and a batch
recomputed after a failure or restored from a checkpoint reads exactly those ranges again
(``AT_SEQUENCE_NUMBER`` first, until the last), so it holds the same records.  Checkpoints
hold what batches took, never what was only read ahead: a restore drops the buffers and
reads again after the positions restored.  KPL-aggregated records are split as they are read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from ember.plugins import PositionRange, ReplayableSource, SourceContext
from ember_kinesis.aggregation import deaggregate
from ember_kinesis.client import KinesisAccess, KinesisError, call, shared_client
from ember_kinesis.positions import AtTimestamp, InitialPositionInStream
from ember_kinesis.readahead import MAX_RECORDS_PER_CALL, ReadAhead
from ember_kinesis.shards import ShardSet

_SHARD_ID = re.compile(r"^shardId-\d+$")
#: with ``spark.streaming.kinesis.maxRatePerShard``, a shard reads ahead at most this many
#: batches' worth of records
READ_AHEAD_BATCHES = 4


class KinesisSource(ReplayableSource):
    """Reads ``access.stream_name``; records are ``decoder(user record bytes)``."""

    max_rate_setting = "spark.streaming.kinesis.maxRatePerShard"

    def __init__(self, access: KinesisAccess, initial: int | AtTimestamp, decoder: Callable[[bytes], Any]):
        self.access = access
        self.initial = initial
        self.decoder = decoder
        self._shards = ShardSet()
        #: reads the shards ahead of the batches, on threads, from ``start`` to ``stop``
        self.read_ahead = ReadAhead(access, initial, self._shards)
        #: shard -> (first, last sequence number, user records) taken by the last next_ranges
        self._fetched: dict[str, tuple[str, str, list[bytes]]] = {}

    def __getstate__(self) -> dict[str, Any]:
        """Tasks get the stream's address, never the driver's cursors."""
        return {"access": self.access, "initial": self.initial, "decoder": self.decoder}

    def __setstate__(self, state: dict[str, Any]) -> None:
        type(self).__init__(self, **state)

    @property
    def client(self):
        return shared_client(self.access)

    # -- the driver's side -------------------------------------------------------------------------
    def start(self, context: SourceContext | None) -> None:
        """List the shards and begin reading them; with LATEST, fix "latest" now: records
        written after ``ssc.start()`` are read even when they come before the first batch."""
        self._list_shards()
        if self.initial == InitialPositionInStream.LATEST:
            for cursor in self._shards.readable():
                self.read_ahead.open_iterator(cursor)
        self.read_ahead.start(self._records_cap(context))

    def _records_cap(self, context: SourceContext | None) -> int | None:
        """A shard's read-ahead bound by count: a few batches at the max rate, when one is set."""
        if context is None:
            return None
        rate = float(context.conf.get(self.max_rate_setting, "0") or 0)
        if rate <= 0:
            return None
        return READ_AHEAD_BATCHES * max(1, int(rate * context.batch_ms / 1000))

    def stop(self) -> None:
        self.read_ahead.stop()

    def partitions(self) -> list[str]:
        return list(self._shards.cursors)

    def next_ranges(
        self, time_ms: int, max_records_per_partition: int | dict[str, int] | None
    ) -> list[PositionRange]:
        """What each shard read ahead, up to the limit; every other shard that has a position
        gets an empty range at it, so that the newest batch alone tells a recovery where all
        shards are."""
        # one maximum for every shard: only a source that reports lags() gets them by partition
        limit = max_records_per_partition if isinstance(max_records_per_partition, int) else None
        self._fetched = self.read_ahead.take(limit)
        ranges = [
            PositionRange(shard_id, first, last, len(records))
            for shard_id, (first, last, records) in self._fetched.items()
        ]
        ranges += [
            PositionRange(shard_id, position, position, 0)
            for shard_id, position in self.read_ahead.positions().items()
            if shard_id not in self._fetched
        ]
        if self.read_ahead.children_missing():
            self._list_shards()
        return ranges

    def prefetched(self, position_range: PositionRange) -> list | None:
        """The records ``next_ranges`` took for the range, decoded, so tasks need not read them
        again; None when the decoder fails on one (the task reading the range then reports
        it, as without this)."""
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
        """Continue after the batches recorded in a checkpoint: what was read ahead of them is
        dropped and read again."""
        last: dict[str, str] = {}
        for time_ms in sorted(recorded):
            for position_range in recorded[time_ms]:
                last[position_range.partition] = position_range.end
        self.read_ahead.restart_after(last)

    def _list_shards(self) -> None:
        shards, token = [], None
        while True:
            query: dict[str, Any] = {"NextToken": token} if token else {"StreamName": self.access.stream_name}
            answer = call(self.access, "listing its shards", lambda: self.client.list_shards(**query))
            shards += answer["Shards"]
            token = answer.get("NextToken")
            if not token:
                break
        self.read_ahead.add_shards(shards)

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
