"""The directory-watching source, with the rules of Spark's FileInputDStream.

Each batch at time T reads the files that appeared since the previous batches: files whose
modification time is in (threshold, T], not hidden (``.``/``_``), and not selected by a batch
within the remember window.  The threshold is the later of the stream's creation (files
already there are not new) and T minus the remember window (``spark.streaming.fileStream.
minRememberDuration``, 60 s by default, rounded up to whole batches).  A file moved in with an
older time is still found as long as it is inside the window.  The files of a batch are its
recorded position ranges (one per file, bytes [0, size)), so a replay reads exactly them.

File times come from coarser clocks than ``time.time()`` (the kernel's tick, S3's whole
seconds), so "already there" is decided by listing the directory when the stream is created,
not by comparing times alone.
"""

from __future__ import annotations

import math
import time
from typing import Any

from ember.plugins import FileSystemAccess, PositionRange, ReplayableSource, SourceContext, duration_ms
from ember_files.filesystem import is_hidden

REMEMBER_SETTING = "spark.streaming.fileStream.minRememberDuration"
DEFAULT_REMEMBER_MS = 60_000
#: how far a file's recorded time may lag the moment it was written (S3 keeps whole seconds)
MTIME_SLACK_MS = 2000


class FileStreamSource(ReplayableSource):
    """New files under ``directory`` (a path, glob, ``file://`` or ``s3://`` URL) per batch."""

    def __init__(self, directory: str, filesystem: FileSystemAccess, record_format: Any):
        self.directory = directory
        self.filesystem = filesystem
        self.record_format = record_format
        self.remember_ms = DEFAULT_REMEMBER_MS
        #: files modified before the stream was created are not new
        self.start_ms = int(time.time() * 1000) - MTIME_SLACK_MS
        self._preexisting = {(f.path, f.modified_ms) for f in filesystem.list_files()}
        self._selected: dict[int, set[str]] = {}

    def start(self, context: SourceContext) -> None:
        """The remember window is a whole number of batches."""
        setting = context.conf.get(REMEMBER_SETTING)
        min_remember_ms = duration_ms(setting, REMEMBER_SETTING) if setting else DEFAULT_REMEMBER_MS
        batches = max(1, math.ceil(min_remember_ms / context.batch_ms))
        self.remember_ms = context.batch_ms * batches

    def __getstate__(self) -> dict:
        # Tasks only read files: the selection bookkeeping stays on the driver, where the batch
        # timer changes it while the tasks of earlier batches are being pickled.
        state = dict(self.__dict__)
        state["_selected"], state["_preexisting"] = {}, set()
        return state

    def partitions(self) -> list[str]:
        return [self.directory]

    def next_ranges(self, time_ms: int, max_records_per_partition: int | None) -> list[PositionRange]:
        threshold = max(self.start_ms, time_ms - self.remember_ms)
        self._selected = {t: files for t, files in self._selected.items() if t > time_ms - self.remember_ms}
        recent = set().union(*self._selected.values())
        new_files = sorted(
            (
                status
                for status in self.filesystem.list_files()
                if not is_hidden(status.name)
                and threshold < status.modified_ms <= time_ms
                and status.path not in recent
                and (status.path, status.modified_ms) not in self._preexisting
            ),
            key=lambda status: (status.modified_ms, status.path),
        )
        self._selected[time_ms] = {status.path for status in new_files}
        return [PositionRange(status.path, 0, status.size) for status in new_files]

    def read(self, position_range: PositionRange) -> list[Any]:
        path = position_range.partition
        try:
            data = self.filesystem.read_bytes(path, position_range.end)
        except OSError as error:
            raise OSError(
                f"{self.directory}: cannot read new file {path}: " f"{error.strerror or error}"
            ) from error
        return self.record_format.records(path, data)

    def restore(self, recorded: dict[int, list[PositionRange]]) -> None:
        for time_ms, ranges in recorded.items():
            self._selected[time_ms] = {r.partition for r in ranges}
        # Recovering: files that arrived while the job was down are new, not pre-existing;
        # files not newer than the first recorded batch were read by it or by batches before it.
        self._preexisting = set()
        self.start_ms = min(recorded) if recorded else self.start_ms
