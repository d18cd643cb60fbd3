"""The interface of a filesystem that file sources read through (``ember_filesystems`` hook).

A ``FileSystem`` descriptor's ``open(url)`` returns an object with these two methods; ember-files
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
