"""SparkContext.textFile and wholeTextFiles: files read through the filesystem plugins.

Input paths follow Hadoop's rules: comma-separated, each a file, a directory (its visible
files, not recursing) or a glob; ``.gz`` files are decompressed.  ``textFile`` cuts the files
into Hadoop's splits (``FileInputFormat.getSplits``: a goal of total size / minPartitions
bytes, at most the 32 MiB block size, a last split up to 10% larger; a compressed file is one
split) and reads lines as Hadoop's LineRecordReader does: a split owns every line that starts
inside it, so a line crossing a boundary is read whole by the split it starts in.
``wholeTextFiles`` packs whole files into partitions as CombineFileInputFormat does: in listing
order, a partition closes once it holds at least total size / minPartitions bytes; it skips
directories inside an input directory, where textFile fails on them.  Unlike
Spark, the input is listed when the RDD is created, so a missing path fails there rather than
at the first action.
"""

from __future__ import annotations

import gzip
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ember.pluginhost.registry import open_filesystem
from ember.rdd.rdd import RDD

_BLOCK_SIZE = 32 * 1024 * 1024  # Hadoop's fs.local.block.size (and S3A's block size)
_SPLIT_SLOP = 1.1
_READ_AHEAD = 64 * 1024
_LINE_END = re.compile(rb"\r\n|\r|\n")
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class InputFile:
    filesystem: Any  # the plugin's filesystem object the file was listed by
    path: str  # a URL: file:/abs/path, s3://bucket/key
    size: int

    @property
    def compressed(self) -> bool:
        return self.path.endswith(".gz")

    def read_all(self) -> bytes:
        data = self.filesystem.read_range(self.path, 0, self.size)
        return gzip.decompress(data) if self.compressed else data


@dataclass(frozen=True)
class FileSplit:
    file: InputFile
    start: int
    length: int


def list_input_files(paths: str, asked_by: str, skip_directories: bool = False) -> list[InputFile]:
    """Every input file ``paths`` names (comma-separated), as Hadoop lists them."""
    if not isinstance(paths, str) or not paths:
        raise TypeError(f"{asked_by} expects a path (str), got {paths!r}")
    found: list[InputFile] = []
    problems: list[str] = []
    for path in paths.split(","):
        filesystem = open_filesystem(path, asked_by)
        try:
            statuses = filesystem.list_inputs(skip_directories)
        except FileNotFoundError as error:
            problems.append(str(error))
            continue
        found.extend(InputFile(filesystem, status.path, status.size) for status in statuses)
    if problems:  # Hadoop reports every missing input at once
        raise FileNotFoundError("\n".join(problems))
    return found


def _hadoop_splits(files: list[InputFile], min_partitions: int) -> list[FileSplit]:
    goal = sum(f.size for f in files) // max(min_partitions, 1)
    splits = []
    for file in files:
        if file.size == 0:
            continue  # Spark drops empty splits (spark.hadoopRDD.ignoreEmptySplits)
        if file.compressed:
            splits.append(FileSplit(file, 0, file.size))
            continue
        split_size = max(1, min(goal, _BLOCK_SIZE))
        remaining = file.size
        while remaining / split_size > _SPLIT_SLOP:
            splits.append(FileSplit(file, file.size - remaining, split_size))
            remaining -= split_size
        if remaining:
            splits.append(FileSplit(file, file.size - remaining, remaining))
    return splits


def _lines_of_split(split: FileSplit) -> Iterator[bytes]:
    """The lines starting in ``split`` (the first one skipped unless the split starts the
    file: it belongs to the previous split), plus the rest of a line crossing its end."""
    if split.file.compressed:
        yield from _lines(split.file.read_all(), 0, math.inf)
        return
    file = split.file
    data = file.filesystem.read_range(file.path, split.start, split.length)
    # Read on until the line that crosses the split's end is complete: a line ending at or
    # past the end (not a final \r, which may be half of \r\n), or the end of the file.
    while split.start + len(data) < file.size:
        ending = _LINE_END.search(data, split.length)
        if ending is not None and ending.end() < len(data):
            break
        more = file.filesystem.read_range(file.path, split.start + len(data), _READ_AHEAD)
        if not more:
            break
        data += more
    yield from _lines(data, split.start, split.length)


def _lines(data: bytes, start: int, limit: float) -> Iterator[bytes]:
    """Lines of ``data`` (bytes of a file from offset ``start``) that begin at most ``limit``
    bytes in, by Hadoop's LineRecordReader rules."""
    position = 0
    if start != 0:
        first_end = _LINE_END.search(data)
        position = first_end.end() if first_end else len(data)
    elif data.startswith(_BOM):
        position = len(_BOM)
    while position <= limit and position < len(data):
        match = _LINE_END.search(data, position)
        if match is None:
            yield data[position:]
            return
        yield data[position : match.start()]
        position = match.end()


class HadoopSplitsRDD(RDD):
    """One partition per split (or per group of whole files); ``reader`` turns one into records."""

    def __init__(self, ctx, splits: list, reader):
        self.splits = splits
        self.reader = reader
        super().__init__(ctx, len(splits))

    def compute(self, split, context):
        return self.reader(self.splits[split])


def text_file(ctx, name: str, min_partitions: int, use_unicode: bool) -> RDD:
    splits = _hadoop_splits(list_input_files(name, "SparkContext.textFile"), min_partitions)
    return HadoopSplitsRDD(ctx, splits, _text_reader(use_unicode))


def _as_text(data: bytes, use_unicode: bool):
    """Hadoop's Text reaches Python through a Java string: bytes that are not UTF-8 become
    U+FFFD, also in the bytes ``use_unicode=False`` gives."""
    text = data.decode("utf-8", errors="replace")
    return text if use_unicode else text.encode("utf-8")


def _text_reader(use_unicode: bool):
    def read(split: FileSplit) -> Iterator:
        return (_as_text(line, use_unicode) for line in _lines_of_split(split))

    return read


def _combined(files: list[InputFile], min_partitions: int) -> list[list[InputFile]]:
    """Whole files packed into groups of at least total / minPartitions bytes, in order."""
    limit = math.ceil(sum(f.size for f in files) / max(min_partitions, 1))
    groups, current, size = [], [], 0
    for file in files:
        current.append(file)
        size += file.size
        if limit and size >= limit:
            groups.append(current)
            current, size = [], 0
    if current:
        groups.append(current)
    return groups


def whole_text_files(ctx, path: str, min_partitions: int, use_unicode: bool) -> RDD:
    groups = _combined(list_input_files(path, "SparkContext.wholeTextFiles", True), min_partitions)
    return HadoopSplitsRDD(ctx, groups, _whole_reader(use_unicode))


def _whole_reader(use_unicode: bool):
    def read(group: list[InputFile]) -> Iterator:
        for file in group:
            yield _as_text(file.path.encode("utf-8"), use_unicode), _as_text(file.read_all(), use_unicode)

    return read
