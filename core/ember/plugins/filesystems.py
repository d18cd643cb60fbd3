"""The interface of a filesystem that file sources read through (``ember_filesystems`` hook).

A ``FileSystem`` descriptor's ``open(url)`` returns an object with these methods (the file
streams list and sniff; ``SparkContext.textFile`` and ``wholeTextFiles`` list inputs by Hadoop's
rules and read byte ranges); ember-files
implements ``file`` and ``s3``, and a third party adds a scheme (``hdfs``) with the core alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class FileStatus:
    """A file as listed: its URL or path (as the user wrote the directory), size, mtime."""

    path: str
    size: int
    modified_ms: int

    @property
    def name(self) -> str:
        return self.path.rstrip("/").rsplit("/", 1)[-1]


class FileSystemAccess(Protocol):
    """What the file sources need from a filesystem."""

    def list_files(self) -> list[FileStatus]:
        """Files directly inside every directory the pattern it was opened on matches."""

    def read_bytes(self, path: str, length: int) -> bytes:
        """The first ``length`` bytes of ``path`` (a path ``list_files`` returned)."""

    def list_inputs(self, skip_directories: bool = False) -> list[FileStatus]:
        """Hadoop's input files for the pattern: each file it matches, and the visible files
        directly inside each directory it matches (in listing order); ``FileNotFoundError``
        when it matches nothing.  A directory inside a directory is skipped when asked
        (``wholeTextFiles``), else an ``IsADirectoryError`` (``textFile``)."""

    def read_range(self, path: str, start: int, length: int) -> bytes:
        """Up to ``length`` bytes of ``path`` (a path ``list_inputs`` returned) from ``start``."""
