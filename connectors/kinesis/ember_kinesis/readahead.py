"""Reading Kinesis shards ahead of the batches, on background threads, into bounded buffers.

Kinesis tells where a shard ends only to whoever reads it, and each read is a slow network
call (kinesalite is slower still).  Reading only when a batch is cut left every shard idle
between batches and read nothing before the first batch.  So, as Spark's KCL-based receiver
pulls continuously, ``ReadAhead`` keeps reading every readable shard from ``start`` on, each
shard into a buffer of its own that the batches take from.

- At most ``CONCURRENT_SHARDS`` shards are read at the same time, each at most once every
  ``CALL_INTERVAL_S`` (Kinesis allows 5 GetRecords a second per shard).
- A shard's buffer holds at most ``records_cap`` user records (when given) and about
  ``bytes_cap`` bytes (records' data plus ``RECORD_OVERHEAD_BYTES`` each); a full buffer stops
  the shard's reading until a batch takes from it, so memory stays flat under a slow job.
- Throttling and an unreachable Kinesis pause the shard (growing pauses), an expired iterator
  is reopened after the last record read; nothing is skipped.  Any other error stops the
  shard's reading and is raised, once, by the next ``take``: never on a reader thread.

Cursors (``ShardCursor``) and buffers are shared with the driver's thread under one lock;
a network call is made without it, by the one reader that marked the shard as being read.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from ember_kinesis.aggregation import user_records
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
from ember_kinesis.positions import AtTimestamp, iterator_arguments
from ember_kinesis.shards import ShardCursor, ShardSet

_log = logging.getLogger("ember.kinesis")
#: GetRecords' own maximum per call
MAX_RECORDS_PER_CALL = 10_000
#: at most this many shards are read at the same time (boto3's connection pool holds 10)
CONCURRENT_SHARDS = 8
#: a shard is read at most once in this many seconds (Kinesis allows 5 GetRecords a second)
CALL_INTERVAL_S = 0.2
#: a shard's buffer holds about this many bytes at most (records' data and overhead)
BYTES_CAP = 32 << 20
#: what a buffered record costs beyond its data: its sequence number and Python's objects
RECORD_OVERHEAD_BYTES = 160


@dataclass
class _Chunk:
    """The records of one GetRecords answer still to be taken, in order."""

    sequence_numbers: list[str]
    user_records: list[bytes]
    #: user records of each Kinesis record (KPL aggregation); None when one each
    per_record: list[int] | None
    weight: int  # bytes, with each record's overhead

    @classmethod
    def of(cls, records: list[dict[str, Any]]) -> _Chunk:
        users, per_record = user_records([record["Data"] for record in records])
        weight = sum(map(len, users)) + RECORD_OVERHEAD_BYTES * len(records)
        return cls([record["SequenceNumber"] for record in records], users, per_record, weight)

    def split_at(self, room: int, must_take: bool) -> int:
        """How many Kinesis records to take to get at most ``room`` user records (at least one
        when ``must_take``: an aggregate larger than ``room`` still moves on)."""
        if self.per_record is None:
            return min(room, len(self.sequence_numbers))
        count = taken = 0
        for users in self.per_record:
            if taken + users > room and not (must_take and count == 0):
                break
            count, taken = count + 1, taken + users
        return count

    def pop_front(self, count: int) -> tuple[list[str], list[bytes], int]:
        """Remove the first ``count`` Kinesis records: their sequence numbers, user records and
        weight in bytes."""
        users = count if self.per_record is None else sum(self.per_record[:count])
        sequence_numbers, taken = self.sequence_numbers[:count], self.user_records[:users]
        weight = sum(map(len, taken)) + RECORD_OVERHEAD_BYTES * count
        del self.sequence_numbers[:count], self.user_records[:users]
        if self.per_record is not None:
            del self.per_record[:count]
        self.weight -= weight
        return sequence_numbers, taken, weight


class ShardBuffer:
    """A shard's records read and not yet taken by a batch."""

    def __init__(self) -> None:
        self._chunks: deque[_Chunk] = deque()
        self.records = 0  # user records
        self.bytes = 0

    def add(self, chunk: _Chunk) -> None:
        self._chunks.append(chunk)
        self.records += len(chunk.user_records)
        self.bytes += chunk.weight

    def take(self, limit: int | None) -> tuple[str, str, list[bytes]] | None:
        """The first and last sequence numbers and the user records of the oldest records, at
        most ``limit`` user records (all when None); None when there are none."""
        first = last = None
        taken: list[bytes] = []
        while self._chunks:
            chunk = self._chunks[0]
            room = len(chunk.user_records) if limit is None else limit - len(taken)
            count = chunk.split_at(room, must_take=not taken)
            if count == 0:
                break
            sequence_numbers, users, weight = chunk.pop_front(count)
            first, last = first or sequence_numbers[0], sequence_numbers[-1]
            taken += users
            self.records -= len(users)
            self.bytes -= weight
            if not chunk.sequence_numbers:
                self._chunks.popleft()
        if first is None or last is None:  # both or neither
            return None
        return first, last, taken

    def clear(self) -> None:
        self._chunks.clear()
        self.records = self.bytes = 0


@dataclass
class _Reading:
    """How one shard's reading stands."""

    buffer: ShardBuffer = field(default_factory=ShardBuffer)
    #: a reader is calling Kinesis for this shard (only it touches the cursor meanwhile)
    busy: bool = False
    #: reads ended (well or not) since the reading (re)started
    reads: int = 0
    #: the last answer was as large as asked: the shard holds more
    behind: bool = False
    #: the monotonic time before which the shard is not read again (the call rate)
    next_call_at: float = 0.0
    #: mean bytes of the records of the last answer, to size the next call to the room left
    record_bytes: int = 0
    #: a fatal error, not yet raised by ``take``: the shard is not read until it is
    failure: BaseException | None = None


class ReadAhead:
    """Reads the readable shards of ``shards`` ahead of the batches; see the module."""

    def __init__(self, access: KinesisAccess, initial: int | AtTimestamp, shards: ShardSet):
        self.access = access
        self.initial = initial
        self.shards = shards
        self._lock = threading.Condition()
        self._readings: dict[str, _Reading] = {}
        self._readers: list[threading.Thread] = []
        self._running = False
        self.records_cap: int | None = None
        self.bytes_cap = BYTES_CAP

    # -- the driver's side -------------------------------------------------------------------------
    def start(self, records_cap: int | None, bytes_cap: int = BYTES_CAP) -> None:
        """Begin reading, each shard's buffer bounded by ``records_cap`` user records (None: no
        bound by count) and ``bytes_cap`` bytes."""
        with self._lock:
            self.records_cap, self.bytes_cap = records_cap, bytes_cap
            self._running = True
            self._add_readers()

    def stop(self) -> None:
        """Stop reading (each reader ends its call first) and drop every buffer."""
        self._stop_readers()
        with self._lock:
            for reading in self._readings.values():
                reading.buffer.clear()

    def restart_after(self, last_taken: dict[str, str]) -> None:
        """Continue each shard of ``last_taken`` after its sequence number, dropping what was read
        ahead of it; other shards keep their buffers (nothing was taken from them)."""
        self._stop_readers()
        with self._lock:
            self.shards.restore(last_taken)
            for shard_id in last_taken:
                self._reading(shard_id).buffer.clear()
            for reading in self._readings.values():
                reading.reads = 0
            self._running = True
            self._add_readers()

    def add_shards(self, listed: list[dict[str, Any]]) -> None:
        """Shards from a ``list_shards`` answer; new readable ones are read from now on."""
        with self._lock:
            self.shards.update(listed)
            if self._running:
                self._add_readers()
            self._lock.notify_all()

    def take(self, limit: int | None) -> dict[str, tuple[str, str, list[bytes]]]:
        """For a batch: at most ``limit`` user records from each shard's buffer (all when None),
        by shard, with the first and last sequence numbers taken.  Raises a reader's fatal
        error, once.  A shard is taken from only once every parent was taken to its end by an
        earlier batch, so that a partition key's records keep their order across a reshard.

        Waits for each readable shard's first read after a (re)start, and for a read in
        flight of a shard that is behind: a batch does not miss by moments records that the
        shard had before the batch's time."""
        with self._lock:
            self._raise_failure()
            awaited = self._reads_awaited()
            self._lock.wait_for(
                lambda: not self._running or all(self._readings[s].reads > n for s, n in awaited.items())
            )
            self._raise_failure()
            cursors = self.shards.cursors
            parents_done = {
                shard_id
                for shard_id, cursor in cursors.items()
                if cursor.finished and not self._reading(shard_id).buffer.records
            }
            taken = {}
            for shard_id, cursor in cursors.items():
                if not all(p in parents_done for p in cursor.parents if p in cursors):
                    continue
                records = self._reading(shard_id).buffer.take(limit)
                if records is not None:
                    taken[shard_id] = records
                    cursor.taken = records[1]
            self._lock.notify_all()
            return taken

    def positions(self) -> dict[str, str]:
        """The last sequence number batches took from each shard that has one."""
        with self._lock:
            return {c.shard_id: c.taken for c in self.shards.cursors.values() if c.taken is not None}

    def children_missing(self) -> bool:
        """A shard was read to its end and none of its children is known yet."""
        with self._lock:
            cursors = self.shards.cursors.values()
            return any(
                cursor.finished and not any(cursor.shard_id in other.parents for other in cursors)
                for cursor in cursors
            )

    def buffered(self) -> dict[str, int]:
        """User records read ahead and not yet taken, by shard."""
        with self._lock:
            return {shard_id: reading.buffer.records for shard_id, reading in self._readings.items()}

    def open_iterator(self, cursor: ShardCursor) -> str:
        """The cursor's shard iterator, opened after its last record read (or at the initial
        position) when it has none."""
        if cursor.iterator is None:
            arguments = iterator_arguments(self.initial, cursor.after, cursor.new)
            opened = call(
                self.access,
                f"opening shard {cursor.shard_id}",
                lambda: shared_client(self.access).get_shard_iterator(
                    StreamName=self.access.stream_name, ShardId=cursor.shard_id, **arguments
                ),
            )
            cursor.iterator = opened["ShardIterator"]
        return cursor.iterator

    def _reading(self, shard_id: str) -> _Reading:
        return self._readings.setdefault(shard_id, _Reading())

    def _reads_awaited(self) -> dict[str, int]:
        """The readable shards whose next read a batch waits for, with their reads so far: those
        not read since the reading (re)started (unless full or failed), and those behind with a
        read in flight."""
        awaited = {}
        for cursor in self.shards.readable():
            reading = self._reading(cursor.shard_id)
            unread = reading.reads == 0 and reading.failure is None and self._room(reading) > 0
            if unread or (reading.busy and reading.behind):
                awaited[cursor.shard_id] = reading.reads
        return awaited

    def _raise_failure(self) -> None:
        """Raise the first fatal error a reader kept (its shard is read again from then on)."""
        for reading in self._readings.values():
            if reading.failure is not None:
                failure, reading.failure = reading.failure, None
                self._lock.notify_all()
                raise failure

    def _add_readers(self) -> None:
        """Reader threads up to one per shard, at most ``CONCURRENT_SHARDS`` (under the lock)."""
        wanted = min(CONCURRENT_SHARDS, max(1, len(self.shards.cursors)))
        while len(self._readers) < wanted:
            reader = threading.Thread(
                target=self._read_shards, name=f"ember-kinesis-read-{len(self._readers)}", daemon=True
            )
            self._readers.append(reader)
            reader.start()

    def _stop_readers(self) -> None:
        with self._lock:
            self._running = False
            readers, self._readers = self._readers, []
            self._lock.notify_all()
        for reader in readers:
            reader.join()

    # -- the readers' side -------------------------------------------------------------------------
    def _read_shards(self) -> None:
        """A reader thread: read whichever shard is due, until stopped."""
        while True:
            with self._lock:
                due = self._next_due()
                if due is None:
                    return
                cursor, reading, limit = due
            chunk, error = self._read_once(cursor, limit)
            with self._lock:
                if chunk is not None:
                    reading.buffer.add(chunk)
                    reading.record_bytes = chunk.weight // len(chunk.sequence_numbers)
                if error is not None:
                    self._read_failed(cursor, reading, error)
                reading.behind = chunk is not None and len(chunk.sequence_numbers) >= limit
                reading.busy = False
                reading.reads += 1
                self._lock.notify_all()

    def _next_due(self) -> tuple[ShardCursor, _Reading, int] | None:
        """The readable shard waiting longest for its next call, marked busy, with the records
        its buffer has room for; waits until there is one.  None once stopped."""
        while self._running:
            now = time.monotonic()
            wake_at = [c.resume_at for c in self.shards.cursors.values() if c.resume_at > now]
            due: list[tuple[float, ShardCursor, _Reading, int]] = []
            for cursor in self.shards.readable():
                reading = self._reading(cursor.shard_id)
                room = self._room(reading)
                if reading.busy or reading.failure is not None or room == 0:
                    continue
                if reading.next_call_at > now:
                    wake_at.append(reading.next_call_at)
                else:
                    due.append((reading.next_call_at, cursor, reading, room))
            if due:
                _, cursor, reading, room = min(due, key=itemgetter(0))
                reading.busy, reading.next_call_at = True, now + CALL_INTERVAL_S
                return cursor, reading, room
            self._lock.wait(min(wake_at) - now if wake_at else None)
        return None

    def _room(self, reading: _Reading) -> int:
        """Records to ask for: as many as the buffer has room for, by count and by the size of
        the shard's last records; 0 when it is full."""
        buffer = reading.buffer
        if buffer.bytes >= self.bytes_cap or (
            self.records_cap is not None and buffer.records >= self.records_cap
        ):
            return 0
        room = MAX_RECORDS_PER_CALL
        if self.records_cap is not None:
            room = min(room, self.records_cap - buffer.records)
        if reading.record_bytes:
            room = min(room, max(1, (self.bytes_cap - buffer.bytes) // reading.record_bytes))
        return room

    def _read_once(self, cursor: ShardCursor, limit: int) -> tuple[_Chunk | None, Exception | None]:
        """One GetRecords for ``cursor``'s shard, moving the cursor past what it returned; the
        error instead, whatever it is (a reader thread never raises)."""
        try:
            answer = shared_client(self.access).get_records(
                ShardIterator=self.open_iterator(cursor), Limit=limit
            )
            records = answer["Records"]
            chunk = _Chunk.of(records) if records else None
        except Exception as error:  # noqa: BLE001 - sorted by _read_failed, under the lock
            return None, error
        if records:
            cursor.after = records[-1]["SequenceNumber"]
        cursor.iterator = answer.get("NextShardIterator")
        cursor.finished = cursor.iterator is None
        self.shards.read_well(cursor)
        return chunk, None

    def _read_failed(self, cursor: ShardCursor, reading: _Reading, error: Exception) -> None:
        """What was read stays read; the shard is retried later, or the error waits for ``take``."""
        cursor.iterator = None  # reopened after ``cursor.after`` next time
        if is_throttling(error):
            self.shards.pause(cursor)
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
            self.shards.pause(cursor)
            _log.warning("%s; shard %s is retried in %.1f s", problem, cursor.shard_id, cursor.backoff_s)
            return
        if problem is not None and problem is not error:
            problem.__cause__ = error
        reading.failure = problem or error
