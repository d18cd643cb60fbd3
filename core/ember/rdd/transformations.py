"""Record-level transformations of an RDD (PySpark's names, argument orders and defaults)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterable

if TYPE_CHECKING:
    from ember.rdd.rdd import RDD


class TransformationsMixin:
    def map(self, f: Callable, preservesPartitioning: bool = False) -> "RDD":
        return self.mapPartitionsWithIndex(lambda _, iterator: map(f, iterator), preservesPartitioning)

    def flatMap(self, f: Callable[..., Iterable], preservesPartitioning: bool = False) -> "RDD":
        def flat(_, iterator):
            for record in iterator:
                yield from f(record)
        return self.mapPartitionsWithIndex(flat, preservesPartitioning)

    def filter(self, f: Callable) -> "RDD":
        return self.mapPartitionsWithIndex(lambda _, iterator: filter(f, iterator), True)

    def mapPartitions(self, f: Callable[[Iterable], Iterable], preservesPartitioning: bool = False) -> "RDD":
        return self.mapPartitionsWithIndex(lambda _, iterator: f(iterator), preservesPartitioning)

    def glom(self) -> "RDD":
        return self.mapPartitionsWithIndex(lambda _, iterator: iter([list(iterator)]))

    def union(self, other: "RDD") -> "RDD":
        return self._union_all([self, other])

    def _union_all(self, rdds: list["RDD"]) -> "RDD":
        from ember.rdd.lineage import UnionRDD

        return UnionRDD(self.ctx, rdds)
