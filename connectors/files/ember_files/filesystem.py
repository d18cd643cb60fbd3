"""The local filesystem the file sources read through.

A filesystem lists the files directly inside the directories a (glob) pattern matches, and
reads a file's first bytes (the core's ``FileSystemAccess`` interface).  Other schemes (``s3``
here, ``hdfs`` from a third party) come through the core's ``ember_filesystems`` hook and
implement the same two methods.
"""

from __future__ import annotations

import glob
import os
from urllib.parse import unquote, urlsplit

from ember.plugins import FileStatus


def is_hidden(name: str) -> bool:
    """Hadoop's rule: names starting with ``.`` or ``_`` are temporary or metadata files."""
    return name.startswith((".", "_"))


class LocalFileSystem:
    """Local directories, as plain paths or ``file://`` URLs; glob patterns allowed."""

    def __init__(self, url: str):
        self.url = url
        self.pattern = _local_path(url)

    def list_files(self) -> list[FileStatus]:
        directories = (
            [d for d in glob.glob(self.pattern) if os.path.isdir(d)]
            if glob.has_magic(self.pattern)
            else [self.pattern]
        )
        found = []
        for directory in sorted(directories):
            try:
                entries = list(os.scandir(directory))
            except FileNotFoundError:
                continue  # a directory that does not exist yet simply has no files
            for entry in entries:
                try:
                    if entry.is_file():
                        stat = entry.stat()
                        found.append(FileStatus(entry.path, stat.st_size, stat.st_mtime_ns // 1_000_000))
                except FileNotFoundError:
                    continue  # removed between listing and stat
        return found

    def read_bytes(self, path: str, length: int) -> bytes:
        with open(path, "rb") as handle:
            return handle.read(length)


def _local_path(url: str) -> str:
    if "://" not in url:
        return url
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise ValueError(
            f"{url!r}: file:// URLs must name a local path (file:///dir), " f"not the host {parts.netloc!r}"
        )
    return unquote(parts.path)
