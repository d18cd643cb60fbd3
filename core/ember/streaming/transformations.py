"""Record-level DStream transformations: each applies the RDD operation of the same name to
every batch (PySpark's names, argument orders and defaults)."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ember.streaming.dstream import DStream


class TransformationsMixin:
    def _transformed(self, rdd_func: Callable, kind: str) -> DStream:
        """A stream whose RDD at each batch is ``rdd_func(parent_rdd)``."""
        from ember.streaming.dstream import TransformedDStream

        return TransformedDStream([self], lambda _time, rdd: rdd_func(rdd), kind)

    def map(self, f: Callable, preservesPartitioning: bool = False) -> DStream:
        return self._transformed(lambda rdd: rdd.map(f, preservesPartitioning), "map")

    def flatMap(self, f: Callable[..., Iterable], preservesPartitioning: bool = False) -> DStream:
        return self._transformed(lambda rdd: rdd.flatMap(f, preservesPartitioning), "flatMap")

    def filter(self, f: Callable) -> DStream:
        return self._transformed(lambda rdd: rdd.filter(f), "filter")

    def mapPartitions(
        self, f: Callable[[Iterable], Iterable], preservesPartitioning: bool = False
    ) -> DStream:
        return self._transformed(lambda rdd: rdd.mapPartitions(f, preservesPartitioning), "mapPartitions")

    def mapPartitionsWithIndex(
        self, f: Callable[[int, Iterable], Iterable], preservesPartitioning: bool = False
    ) -> DStream:
        return self._transformed(
            lambda rdd: rdd.mapPartitionsWithIndex(f, preservesPartitioning), "mapPartitionsWithIndex"
        )

    def glom(self) -> DStream:
        return self._transformed(lambda rdd: rdd.glom(), "glom")

    def repartition(self, numPartitions: int) -> DStream:
        return self._transformed(lambda rdd: rdd.repartition(numPartitions), "repartition")

    def reduce(self, func: Callable) -> DStream:
        """One record per batch, the reduction of its records (nothing for an empty batch)."""
        return self.map(lambda x: (None, x)).reduceByKey(func, 1).map(lambda kv: kv[1])

    def count(self) -> DStream:
        """One record per batch: how many records it has (0 for an empty batch)."""
        return self.mapPartitions(lambda records: [sum(1 for _ in records)]).reduce(operator.add)

    def countByValue(self) -> DStream:
        return self.map(lambda x: (x, 1)).reduceByKey(operator.add)

    def transform(self, func: Callable) -> DStream:
        """``func(rdd)`` or ``func(time, rdd)`` returns each batch's RDD."""
        from ember.streaming.dstream import TransformedDStream, with_time

        return TransformedDStream([self], with_time(func, 1, "transform()"), "transform")

    def transformWith(self, func: Callable, other: DStream, keepSerializer: bool = False) -> DStream:
        """``func(rdd, other_rdd)`` or ``func(time, rdd, other_rdd)`` for each batch."""
        from ember.streaming.dstream import TransformedDStream, with_time

        self._check_same_slide(other, "transformWith")
        return TransformedDStream([self, other], with_time(func, 2, "transformWith()"), "transformWith")

    def union(self, other: DStream) -> DStream:
        self._check_same_slide(other, "union")
        return self.transformWith(lambda a, b: a.union(b), other, True)

    def _check_same_slide(self, other: DStream, operation: str) -> None:
        from ember.streaming.dstream import DStream

        if not isinstance(other, DStream):
            raise TypeError(f"{operation}() expects a DStream, got {type(other).__name__} {other!r:.80}")
        if other._ssc is not self._ssc:
            raise ValueError(f"{operation}() needs two DStreams of the same StreamingContext")
        if other.slide_ms != self.slide_ms:
            raise ValueError(
                f"{operation}() needs DStreams with the same slide duration, but "
                f"{self.describe()} and {other.describe()} differ"
            )
