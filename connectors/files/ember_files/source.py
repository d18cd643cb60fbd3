"""The directory-watching source, with the rules of Spark's FileInputDStream.

Each batch at time T reads the files that appeared since the previous batches: files whose
modification time is in (threshold, T], not hidden (``.``/``_``), and not selected before.
The threshold is the later of the stream's creation (files already there are not new) and T
minus the remember window (``spark.streaming.fileStream.minRememberDuration``, 60 s by
default, rounded up to whole batches).  A file moved in with an older time is still found as
long as it is inside the window.  The files of a batch are its recorded position ranges (one
per file, bytes [0, size), with its record count), so a replay reads exactly them.

Spark's contract is that files appear whole (moved in by rename) and never change.  What
breaks it is made loud instead of silent:

* a file modified less than the settle time (``spark.ember.fileStream.settleTime``, 1 s by
  default) before T, or whose size or time changes while the batch looks at it, is still
  being written: it waits for a later batch rather than being read half;
* a file that changes after a batch selected it is reported once (its name, the size read and
  the size now) and not read again; it is remembered for as long as its modification time
  keeps it inside the window, so a file still being appended to is never read twice;
* the driver reads each new file once when it selects it, to count its records (lines of
  text, fixed-length records) for the batch's ``numRecords``, and a text file that does not
  look like text (NUL bytes, invalid UTF-8) is reported once.

File times come from coarser clocks than ``time.time()`` (the kernel's tick, S3's whole
seconds), so "already there" is decided by listing the directory when the stream is created,
not by comparing times alone.
"""

from __future__ import annotations

import fnmatch
import logging
import math
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from ember.plugins import (
    FileStatus,
    FileSystemAccess,
    PositionRange,
    ReplayableSource,
    SourceContext,
    duration_ms,
)
from ember_files.filesystem import is_hidden

REMEMBER_SETTING = "spark.streaming.fileStream.minRememberDuration"
DEFAULT_REMEMBER_MS = 60_000
SETTLE_SETTING = "spark.ember.fileStream.settleTime"
DEFAULT_SETTLE_MS = 1000
#: how far a file's recorded time may lag the moment it was written (S3 keeps whole seconds)
MTIME_SLACK_MS = 2000

_log = logging.getLogger("ember.files")


@dataclass
class Selection:
    """A file a batch selected: what it looked like then, and whether its change was reported."""

    batch_ms: int
    size: int
    modified_ms: int | None  # None when restored from a checkpoint, which records sizes only
    reported: bool = False

    def changed(self, status: FileStatus) -> bool:
        return status.size != self.size or self.modified_ms not in (None, status.modified_ms)


class FileStreamSource(ReplayableSource):
    """New files under ``directory`` (a path, glob, ``file://`` or ``s3://`` URL) per batch."""

    def __init__(self, directory: str, filesystem: FileSystemAccess, record_format: Any):
        self.directory = directory
        self.filesystem = filesystem
        self.record_format = record_format
        self.remember_ms = DEFAULT_REMEMBER_MS
        self.settle_ms = DEFAULT_SETTLE_MS
        #: files modified before the stream was created are not new
        self.start_ms = int(time.time() * 1000) - MTIME_SLACK_MS
        self._preexisting = {(f.path, f.modified_ms) for f in filesystem.list_files()}
        self._selected: dict[str, Selection] = {}

    def start(self, context: SourceContext) -> None:
        """The remember window is a whole number of batches, at least one longer than the
        settle time, so a file that waits to settle is still inside it when it has."""
        setting = context.conf.get(REMEMBER_SETTING)
        min_remember_ms = duration_ms(setting, REMEMBER_SETTING) if setting else DEFAULT_REMEMBER_MS
        settle = context.conf.get(SETTLE_SETTING)
        self.settle_ms = duration_ms(settle, SETTLE_SETTING) if settle is not None else DEFAULT_SETTLE_MS
        needed_ms = max(min_remember_ms, self.settle_ms + context.batch_ms)
        self.remember_ms = context.batch_ms * max(1, math.ceil(needed_ms / context.batch_ms))

    def __getstate__(self) -> dict:
        # Tasks only read files: the selection bookkeeping stays on the driver, where the batch
        # timer changes it while the tasks of earlier batches are being pickled.
        state = dict(self.__dict__)
        state["_selected"], state["_preexisting"] = {}, set()
        return state

    def partitions(self) -> list[str]:
        return [self.directory]

    def validate_positions(self, ranges: list[PositionRange]) -> None:
        """A recorded file must be one this source could have listed: directly inside its
        directory (or a directory its glob matches), not hidden, read from byte 0."""
        directory = self.directory
        if directory.startswith("file://"):
            directory = unquote(urlsplit(directory).path)
        wanted = directory.rstrip("/").split("/")
        for position_range in ranges:
            path = position_range.partition
            parent, _, name = path.rpartition("/")
            parts = parent.split("/")
            if (
                not name
                or is_hidden(name)
                or ".." in path.split("/")
                or len(parts) != len(wanted)
                or not all(map(fnmatch.fnmatchcase, parts, wanted))
            ):
                raise ValueError(f"{path!r} is not a file of {self.directory}; it is never read")
            if position_range.start != 0 or not isinstance(position_range.end, int) or position_range.end < 0:
                raise ValueError(
                    f"{path}: bytes [{position_range.start!r}, {position_range.end!r}) are not "
                    "a whole file's range"
                )

    def next_ranges(
        self, time_ms: int, max_records_per_partition: int | dict[str, int] | None
    ) -> list[PositionRange]:
        threshold = max(self.start_ms, time_ms - self.remember_ms)
        listing = [status for status in self.filesystem.list_files() if not is_hidden(status.name)]
        self._check_selected(listing, time_ms, threshold)
        new_files = sorted(
            (
                status
                for status in listing
                if threshold < status.modified_ms <= time_ms - self.settle_ms
                and status.path not in self._selected
                and (status.path, status.modified_ms) not in self._preexisting
            ),
            key=lambda status: (status.modified_ms, status.path),
        )
        counted = [(status, self._count(status)) for status in new_files]
        settled: list[tuple[FileStatus, tuple[int, str | None]]] = []
        if counted:  # the settle check: still as listed after the driver has read them
            now = {status.path: status for status in self.filesystem.list_files()}
            settled = [
                (status, count)
                for status, count in counted
                if count is not None and now.get(status.path) == status
            ]
        ranges = []
        for status, (records, problem) in settled:
            self._selected[status.path] = Selection(time_ms, status.size, status.modified_ms)
            if problem is not None:
                _log.warning("%s: %s", status.path, problem)
            ranges.append(PositionRange(status.path, 0, status.size, records))
        return ranges

    def _check_selected(self, listing: list[FileStatus], time_ms: int, threshold: int) -> None:
        """Report selected files that changed since (once each), and forget those that can no
        longer be selected: gone, or with a time before the window, once their batch left it."""
        by_path = {status.path: status for status in listing}
        for path, selection in list(self._selected.items()):
            status = by_path.get(path)
            if status is not None and not selection.reported and selection.changed(status):
                selection.reported = True
                _log.warning(
                    "%s changed after the batch at %d ms read it: %d bytes then, %d now; "
                    "it is not read again (files must be moved into %s whole, by rename)",
                    path,
                    selection.batch_ms,
                    selection.size,
                    status.size,
                    self.directory,
                )
            if selection.batch_ms <= time_ms - self.remember_ms and (
                status is None or status.modified_ms <= threshold
            ):
                del self._selected[path]

    def _count(self, status: FileStatus) -> tuple[int, str | None] | None:
        """The records of a new file and why it looks wrong, if it does; None when it cannot
        be read now (removed since the listing): a later batch looks again."""
        try:
            return self.record_format.inspect(status.size, lambda: self._read(status.path, status.size))
        except OSError as error:
            _log.debug("%s: not selected at this batch: %s", status.path, error)
            return None

    def _read(self, path: str, size: int) -> bytes:
        try:
            data = self.filesystem.read_bytes(path, size)
        except OSError as error:
            raise OSError(
                f"{self.directory}: cannot read new file {path}: " f"{error.strerror or error}"
            ) from error
        if len(data) < size:
            raise OSError(
                f"{self.directory}: new file {path} has {len(data)} bytes, fewer than the "
                f"{size} its batch selected (it was truncated or replaced; files must "
                "not change once moved in)"
            )
        return data

    def read(self, position_range: PositionRange) -> list[Any]:
        path = position_range.partition
        return self.record_format.records(path, self._read(path, position_range.end))

    def restore(self, recorded: dict[int, list[PositionRange]]) -> None:
        for time_ms, ranges in recorded.items():
            for position_range in ranges:
                self._selected[position_range.partition] = Selection(time_ms, position_range.end, None)
        # Recovering: files that arrived while the job was down are new, not pre-existing;
        # files not newer than the first recorded batch were read by it or by batches before it.
        self._preexisting = set()
        self.start_ms = min(recorded) if recorded else self.start_ms
