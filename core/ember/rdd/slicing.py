"""How ``parallelize`` cuts a collection into partitions, exactly as PySpark does.

PySpark pickles the list in batches of ``max(1, min(len // numSlices, 1024))`` records and the
JVM then splits the list of *batches* evenly, so partition sizes are not always the even split
of the records; a ``range`` is cut arithmetically instead.  Matching both keeps every
partition, and so the output of ``glom()`` and friends, equal to PySpark's.
"""

from __future__ import annotations

from collections.abc import Iterable

_PYSPARK_MAX_BATCH = 1024


def _even_bounds(length: int, count: int) -> list[tuple[int, int]]:
    return [(i * length // count, (i + 1) * length // count) for i in range(count)]


def slice_collection(c: Iterable, count: int) -> list[list]:
    """``c`` cut into ``count`` partitions the way PySpark's ``parallelize`` cuts it."""
    if isinstance(c, range):
        return _slice_range(c, count)
    records = list(c)
    batch = max(1, min(len(records) // count, _PYSPARK_MAX_BATCH))
    batches = [records[i : i + batch] for i in range(0, len(records), batch)]
    return [[r for b in batches[start:end] for r in b] for start, end in _even_bounds(len(batches), count)]


def _slice_range(c: range, count: int) -> list[list]:
    size = len(c)
    if size == 0:
        return [[] for _ in range(count)]
    step = c[1] - c[0] if size > 1 else 1

    def start(split: int) -> int:
        return c[0] + int(split * size / count) * step

    return [list(range(start(s), start(s + 1), step)) for s in range(count)]
