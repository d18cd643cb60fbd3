"""The local filesystem the file sources read through.

A filesystem lists the files directly inside the directories a (glob) pattern matches, and
reads a file's first bytes; for ``SparkContext.textFile`` and ``wholeTextFiles`` it also lists
input files by Hadoop's rules and reads byte ranges (the core's ``FileSystemAccess`` interface).
Other schemes (``s3`` here, ``hdfs`` from a third party) come through the core's
``ember_filesystems`` hook and implement the same methods.
"""

from __future__ import annotations

import glob
import logging
import os
from urllib.parse import unquote, urlsplit

from ember.plugins import FileStatus

_log = logging.getLogger("ember.files")


def is_hidden(name: str) -> bool:
    """Hadoop's rule: names starting with ``.`` or ``_`` are temporary or metadata files."""
    return name.startswith((".", "_"))


def nested_directory_error(path: str) -> IsADirectoryError:
    return IsADirectoryError(
        f"Path: {path} is a directory, which is not supported by the record reader when "
        "`mapreduce.input.fileinputformat.input.dir.recursive` is false."
    )


def no_input_error(url: str, is_pattern: bool) -> FileNotFoundError:
    """Hadoop's InvalidInputException messages."""
    if is_pattern:
        return FileNotFoundError(f"Input Pattern {url} matches 0 files")
    return FileNotFoundError(f"Input path does not exist: {url}")


class LocalFileSystem:
    """Local directories, as plain paths or ``file://`` URLs; glob patterns allowed."""

    def __init__(self, url: str):
        self.url = url
        self.pattern = _local_path(url)
        #: whether the latest listing found no directory to watch (warned once per change)
        self._missing = False

    def list_files(self) -> list[FileStatus]:
        directories = (
            [d for d in glob.glob(self.pattern) if os.path.isdir(d)]
            if glob.has_magic(self.pattern)
            else [self.pattern]
        )
        self._note_missing(not any(os.path.isdir(d) for d in directories))
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

    def _note_missing(self, missing: bool) -> None:
        """Warn when the watched directory is missing, once, and again only after it was back."""
        if missing and not self._missing:
            _log.warning(
                "The watched directory %s does not exist%s: every batch is empty until it is " "created",
                self.url,
                " (no directory matches the pattern)" if glob.has_magic(self.pattern) else "",
            )
        elif self._missing and not missing:
            _log.warning("The watched directory %s exists now", self.url)
        self._missing = missing

    def read_bytes(self, path: str, length: int) -> bytes:
        with open(path, "rb") as handle:
            return handle.read(length)

    def list_inputs(self, skip_directories: bool = False) -> list[FileStatus]:
        pattern = self.pattern
        if glob.has_magic(pattern):
            matches = [m for m in sorted(glob.glob(pattern)) if not is_hidden(os.path.basename(m))]
        else:
            matches = [pattern] if os.path.exists(pattern) else []
        if not matches:
            raise no_input_error(_file_url(pattern), glob.has_magic(pattern))
        found = []
        for match in matches:
            if not os.path.isdir(match):
                found.append(_status(match, os.stat(match)))
                continue
            for entry in os.scandir(match):  # the directory's own order, as Hadoop lists it
                if is_hidden(entry.name):
                    continue
                if entry.is_dir():
                    if skip_directories:
                        continue
                    raise nested_directory_error(os.path.abspath(entry.path))
                found.append(_status(entry.path, entry.stat()))
        return found

    def read_range(self, path: str, start: int, length: int) -> bytes:
        with open(_local_path(path), "rb") as handle:
            handle.seek(start)
            return handle.read(length)


def _file_url(path: str) -> str:
    """Hadoop's form of a local path: ``file:/absolute/path``."""
    return "file:" + os.path.abspath(path)


def _status(path: str, stat: os.stat_result) -> FileStatus:
    return FileStatus(_file_url(path), stat.st_size, stat.st_mtime_ns // 1_000_000)


def _local_path(url: str) -> str:
    if "://" not in url:
        return url.removeprefix("file:")
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise ValueError(
            f"{url!r}: file:// URLs must name a local path (file:///dir), " f"not the host {parts.netloc!r}"
        )
    return unquote(parts.path)
