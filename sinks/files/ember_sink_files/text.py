"""saveAsTextFiles: each batch becomes the directory ``prefix-<batch ms>[.suffix]``.

Inside, as Spark writes it, one ``part-NNNNN`` file per partition with one line per record
(``str(record)``, bytes as they are) and an empty ``_SUCCESS`` marker.  The batch is written
into a hidden temporary directory next to its final name and renamed into place once every
partition is written, so a reader never sees half a batch, and a batch written again (a
re-run, a recovery) replaces the earlier directory instead of mixing with it.

A job killed mid-batch (SIGKILL, a lost machine) leaves its hidden temporary directory behind.
Temporary names carry the writing driver's pid, so the first batch a job writes to a prefix
removes the temporaries of drivers that are gone (never those of a job still running), and
says so in one log line.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from ember.plugins import Sink, process_alive

_log = logging.getLogger("ember.files.sink")


@dataclass(frozen=True)
class BatchDirectories:
    """Where one batch is written (``temporary``) and where it ends up (``final``)."""

    final: str
    temporary: str


class TextFilesSink(Sink):
    """Writes each batch as Spark's text file layout under ``prefix``."""

    def __init__(self, prefix: str, suffix: str | None = None):
        self.prefix = _local_path(prefix)
        self.suffix = suffix
        self._swept = False

    def directory_for(self, time_ms: int) -> str:
        """PySpark's name for a batch's output: ``prefix-<ms>``, then ``.suffix`` if any."""
        name = f"{self.prefix}-{time_ms}"
        return f"{name}.{self.suffix}" if self.suffix else name

    def open_batch(self, time_ms: int) -> BatchDirectories:
        final = self.directory_for(time_ms)
        parent, name = os.path.split(os.path.abspath(final))
        os.makedirs(parent, exist_ok=True)
        if not getattr(self, "_swept", False):
            self._swept = True
            self._remove_orphans(parent)
        temporary = os.path.join(parent, f".{name}.ember-tmp-{os.getpid()}-{uuid.uuid4().hex}")
        os.mkdir(temporary)
        return BatchDirectories(final, temporary)

    def _remove_orphans(self, parent: str) -> None:
        """Remove what drivers that died mid-batch left next to this prefix's batches: their
        temporaries, and an earlier output they had moved aside to replace (put back when the
        replacement never arrived)."""
        base = re.escape(os.path.basename(os.path.abspath(self.prefix)))
        suffix = re.escape(f".{self.suffix}") if self.suffix else ""
        orphan = re.compile(rf"\.({base}-\d+{suffix})\.ember-(tmp|old)-(?:(\d+)-)?[0-9a-f]{{32}}")
        removed, restored = [], []
        for entry in sorted(os.listdir(parent)):
            match = orphan.fullmatch(entry)
            if match is None or (match.group(3) and process_alive(int(match.group(3)))):
                continue
            final = os.path.join(parent, match.group(1))
            if match.group(2) == "old" and not os.path.lexists(final):
                os.rename(os.path.join(parent, entry), final)
                restored.append(match.group(1))
            else:
                shutil.rmtree(os.path.join(parent, entry), ignore_errors=True)
                removed.append(entry)
        if removed or restored:
            _log.warning(
                "saveAsTextFiles(%s): a job that stopped mid-batch left %s%s%s",
                self.prefix,
                f"temporary directories, removed: {', '.join(removed)}" if removed else "",
                "; " if removed and restored else "",
                f"outputs moved aside, put back: {', '.join(restored)}" if restored else "",
            )

    def write_partition(self, batch: BatchDirectories, partition: int, records: Iterator[Any]) -> str:
        name = f"part-{partition:05d}"
        with open(os.path.join(batch.temporary, name), "wb") as handle:
            for record in records:
                handle.write(record if isinstance(record, bytes) else str(record).encode("utf-8"))
                handle.write(b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        return name

    def commit_batch(self, batch: BatchDirectories, receipts: list[Any]) -> None:
        open(os.path.join(batch.temporary, "_SUCCESS"), "wb").close()
        final = batch.final
        if os.path.lexists(final):
            parent, name = os.path.split(os.path.abspath(final))
            replaced = os.path.join(parent, f".{name}.ember-old-{os.getpid()}-{uuid.uuid4().hex}")
            os.rename(final, replaced)
            os.rename(batch.temporary, final)
            shutil.rmtree(replaced, ignore_errors=True)
        else:
            os.rename(batch.temporary, final)

    def abort_batch(self, batch: BatchDirectories, error: BaseException) -> None:
        shutil.rmtree(batch.temporary, ignore_errors=True)


def _local_path(prefix: str) -> str:
    if "://" not in prefix:
        return prefix
    parts = urlsplit(prefix)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        raise ValueError(
            f"saveAsTextFiles({prefix!r}): ember-sink-files writes local paths and " "file:/// URLs only"
        )
    return unquote(parts.path)
