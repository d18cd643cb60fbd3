"""The receiver write-ahead log (``spark.streaming.receiver.writeAheadLog.enable``).

Each receiver stream logs into ``<checkpoint dir>/receivedData/<stream>/``.  Every ``store``,
``storeRecords`` or ``storeBlock`` appends one entry to the open segment before it returns, so a record the
receiver has stored survives the process being killed (the entry is in the kernel's hands);
when a batch takes the stored blocks, the open segment is fsynced and renamed
``batch-<time ms>``, which both makes it durable and records which batch owns it.

After a crash, recovery gives every ``batch-*`` segment back to its batch (a re-run batch reads
exactly what it read before) and stores the entries of open segments again, for the next
batch.  Segments of batches older than the stream's remember window are deleted as batches
complete.  Entries are ``length (u32) | crc32 (u32) | msgpack``; a torn last entry, left by a
kill in the middle of a write, is ignored.
"""

from __future__ import annotations

import os
import re
import struct
import threading
import zlib
from collections.abc import Iterable
from typing import Any, BinaryIO

from ember.checkpoint.store import LocalCheckpointStore, fsync_directory
from ember.checkpoint.values import ValueCodec

ENABLE_SETTING = "spark.streaming.receiver.writeAheadLog.enable"
_ENTRY_HEADER = struct.Struct(">II")
_OPEN = re.compile(r"^open-(\d+)$")
_BATCH = re.compile(r"^batch-(\d+)$")


def enabled(conf) -> bool:
    return str(conf.get(ENABLE_SETTING, "false")).strip().lower() == "true"


def log_directory(store, stream_index: int) -> str:
    """Where stream ``stream_index`` logs; the log needs a local checkpoint directory."""
    if not isinstance(store, LocalCheckpointStore):
        raise ValueError(
            f"{ENABLE_SETTING}=true needs a local checkpoint directory (the log appends to "
            f"files), but the checkpoint location is {store.uri!r}"
        )
    return os.path.join(store.directory, "receivedData", str(stream_index))


class WriteAheadLog:
    """The segments of one receiver stream's log."""

    def __init__(self, directory: str, codec: ValueCodec):
        self.directory = directory
        self.codec = codec
        os.makedirs(directory, exist_ok=True)
        self._handle: BinaryIO | None = None
        self._open_name: str | None = None

    def _segments(self, pattern: re.Pattern) -> dict[int, str]:
        found = {}
        for name in os.listdir(self.directory):
            match = pattern.match(name)
            if match:
                found[int(match.group(1))] = name
        return found

    def append(self, records: list[Any]) -> None:
        """Log ``records`` (one store call) in the open segment; returns once written."""
        if self._handle is None:
            number = max(self._segments(_OPEN), default=0) + 1
            self._open_name = f"open-{number}"
            self._handle = open(os.path.join(self.directory, self._open_name), "ab", buffering=0)
        payload = self.codec.encode(records, f"the write-ahead log in {self.directory}")
        self._handle.write(_ENTRY_HEADER.pack(len(payload), zlib.crc32(payload)) + payload)

    def seal(self, time_ms: int) -> None:
        """Give the open segment to the batch at ``time_ms``: fsync it, rename it."""
        if self._handle is None:
            return
        assert self._open_name is not None, "append() names the segment it opens"
        os.fsync(self._handle.fileno())
        self._handle.close()
        self._handle = None
        os.replace(
            os.path.join(self.directory, self._open_name), os.path.join(self.directory, f"batch-{time_ms}")
        )
        fsync_directory(self.directory)

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __getstate__(self) -> dict:
        """A copy for the process a receiver runs in: it opens segments of its own."""
        return {**vars(self), "_handle": None, "_open_name": None}

    def unsealed(self) -> tuple[list[Any], list[str]]:
        """The records of the open segments (stored, no batch took them yet) and their names;
        the segment this log had open is closed first, so the next append opens a new one."""
        self.close()
        names = [name for _, name in sorted(self._segments(_OPEN).items())]
        return [record for name in names for record in self._read(name)], names

    def batch_segment(self, time_ms: int) -> list[Any] | None:
        """The records of the segment sealed for the batch at ``time_ms``, if there is one."""
        if f"batch-{time_ms}" not in os.listdir(self.directory):
            return None
        return self._read(f"batch-{time_ms}")

    def recover(self, keep_batches: bool) -> tuple[dict[int, list[Any]], list[Any], list[str]]:
        """What an earlier run left: the records of each batch segment by batch time (when
        ``keep_batches``: the run is being recovered), the records no batch owns (open segments,
        and every segment on a fresh start, whose batch times mean nothing), and the segments
        to delete once those records are logged again."""
        batches = {t: self._read(name) for t, name in sorted(self._segments(_BATCH).items())}
        reused = [name for _, name in sorted(self._segments(_OPEN).items())]
        unowned = [record for name in reused for record in self._read(name)]
        if not keep_batches:
            unowned = [record for records in batches.values() for record in records] + unowned
            reused += [f"batch-{time_ms}" for time_ms in batches]
            batches = {}
        return batches, unowned, reused

    def delete(self, names: Iterable[str]) -> None:
        for name in names:
            os.remove(os.path.join(self.directory, name))

    def trim(self, up_to_ms: int) -> None:
        """Delete the segments of batches at or before ``up_to_ms``."""
        self.delete(name for time_ms, name in self._segments(_BATCH).items() if time_ms <= up_to_ms)

    def _read(self, name: str) -> list[Any]:
        with open(os.path.join(self.directory, name), "rb") as handle:
            data = handle.read()
        records: list[Any] = []
        offset = 0
        while offset + _ENTRY_HEADER.size <= len(data):
            length, checksum = _ENTRY_HEADER.unpack_from(data, offset)
            payload = data[offset + _ENTRY_HEADER.size : offset + _ENTRY_HEADER.size + length]
            if len(payload) < length or zlib.crc32(payload) != checksum:
                break  # the torn tail of a write cut short by a kill
            records.extend(self.codec.decode(payload, os.path.join(self.directory, name)))
            offset += _ENTRY_HEADER.size + length
        return records


class LoggedBlockBuffer:
    """A receiver's block buffer that logs every store before it returns.

    Wraps the stream's ``BlockBuffer``; one lock orders buffering and logging, so the records
    a batch takes are exactly those of the segment sealed for it.  A store returns only once
    its records are in both; one the buffer refuses is not logged.
    """

    def __init__(self, buffer, log: WriteAheadLog):
        self._buffer = buffer
        self._log = log
        self._lock = threading.Lock()

    def add(self, record: Any) -> None:
        size = self._buffer.admit([record])  # first, outside the lock: it may wait for room, or
        with self._lock:  # refuse the record (a stopped receiver)
            self._buffer.append(record, size)
            self._log.append([record])

    def add_all(self, records: Iterable[Any]) -> None:
        records = list(records)
        if records:
            with self._lock:
                self._buffer.add_all(records)
                self._log.append(records)

    def add_block(self, records: Iterable[Any]) -> None:
        block = list(records)
        if not block:
            return
        size = self._buffer.admit(block)
        with self._lock:
            self._buffer.append_block(block, size)
            self._log.append(block)

    def take_blocks(self, time_ms: int | None = None) -> list[list[Any]]:
        """The blocks of the batch at ``time_ms``: those stored since the last batch, or, when
        a receiver that died had sealed this batch's segment already, that segment's records
        (what is stored since then goes to the next batch)."""
        with self._lock:
            sealed = self._log.batch_segment(time_ms) if time_ms is not None else None
            if sealed is not None:
                return [sealed] if sealed else []
            blocks = self._buffer.take_blocks(time_ms)
            if time_ms is not None:
                self._log.seal(time_ms)
            return blocks

    def store_unsealed_again(self) -> None:
        """Where a receiver starts (again, after its process died): store through the log what
        the open segments hold, as the next batch's, then delete those segments."""
        with self._lock:
            records, names = self._log.unsealed()
            if records:
                self._buffer.add_all(records)
                self._log.append(records)
            self._log.delete(names)
