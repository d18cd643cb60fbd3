"""saveAsTextFile: Spark's output layout, made visible all at once.

The partitions are written as ``part-00000``, ``part-00001``, ... (one per partition, empty
ones too) plus an empty ``_SUCCESS`` into a hidden temporary directory next to ``path``,
which is renamed to ``path`` when every part is complete: a reader sees no directory or a
whole one.
"""

from __future__ import annotations

import gzip
import os
import shutil
import uuid
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ember.rdd.rdd import RDD

_CODECS: dict[str, tuple[str, Callable]] = {
    "org.apache.hadoop.io.compress.GzipCodec": (".gz", gzip.open),
}


def _as_line(record) -> bytes:
    if isinstance(record, bytes):
        return record
    return (record if isinstance(record, str) else str(record)).encode("utf-8")


def _writer(directory: str, extension: str, opener: Callable) -> Callable:
    def write_part(split: int, iterator: Iterable) -> Iterable:
        with opener(os.path.join(directory, f"part-{split:05d}{extension}"), "wb") as part:
            for record in iterator:
                part.write(_as_line(record))
                part.write(b"\n")
        return iter(())

    return write_part


class OutputMixin:
    def saveAsTextFile(self: RDD[Any], path: str, compressionCodecClass: str | None = None) -> None:
        if compressionCodecClass is not None and compressionCodecClass not in _CODECS:
            raise ValueError(
                f"saveAsTextFile: unsupported compressionCodecClass "
                f"{compressionCodecClass!r}; supported: {', '.join(_CODECS)}"
            )
        extension, opener = ("", open) if compressionCodecClass is None else _CODECS[compressionCodecClass]
        target = os.path.abspath(path)
        if os.path.exists(target):
            raise FileExistsError(f"Output directory {target} already exists")
        parent, name = os.path.split(target)
        os.makedirs(parent, exist_ok=True)
        staging = os.path.join(parent, f".{name}.ember-{uuid.uuid4().hex}.tmp")
        os.mkdir(staging)
        try:
            self.mapPartitionsWithIndex(_writer(staging, extension, opener)).count()
            open(os.path.join(staging, "_SUCCESS"), "wb").close()
            os.rename(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
