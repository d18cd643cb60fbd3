"""Record-level DStream transformations: each applies the RDD operation of the same name to
every batch (PySpark's names, argument orders and defaults)."""

from __future__ import annotations

import datetime
import operator
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, overload

from ember._typing import K, T, U, V

if TYPE_CHECKING:
    from ember.rdd import RDD
    from ember.streaming.dstream import DStream


class TransformationsMixin:
    # Methods take ``self: DStream[T]`` (PySpark's signatures): DStream is the only class
    # these mixins are part of (mypy's check of such self types is off in these modules).
    def _transformed(self: DStream[T], rdd_func: Callable[[RDD[T]], RDD[U]], kind: str) -> DStream[U]:
        """A stream whose RDD at each batch is ``rdd_func(parent_rdd)``."""
        from ember.streaming.dstream import TransformedDStream

        return TransformedDStream([self], lambda _time, rdd: rdd_func(rdd), kind)

    def map(self: DStream[T], f: Callable[[T], U], preservesPartitioning: bool = False) -> DStream[U]:
        return self._transformed(lambda rdd: rdd.map(f, preservesPartitioning), "map")

    def flatMap(
        self: DStream[T], f: Callable[[T], Iterable[U]], preservesPartitioning: bool = False
    ) -> DStream[U]:
        return self._transformed(lambda rdd: rdd.flatMap(f, preservesPartitioning), "flatMap")

    def filter(self: DStream[T], f: Callable[[T], bool]) -> DStream[T]:
        return self._transformed(lambda rdd: rdd.filter(f), "filter")

    def mapPartitions(
        self: DStream[T], f: Callable[[Iterable[T]], Iterable[U]], preservesPartitioning: bool = False
    ) -> DStream[U]:
        return self._transformed(lambda rdd: rdd.mapPartitions(f, preservesPartitioning), "mapPartitions")

    def mapPartitionsWithIndex(
        self: DStream[T], f: Callable[[int, Iterable[T]], Iterable[U]], preservesPartitioning: bool = False
    ) -> DStream[U]:
        return self._transformed(
            lambda rdd: rdd.mapPartitionsWithIndex(f, preservesPartitioning), "mapPartitionsWithIndex"
        )

    def glom(self: DStream[T]) -> DStream[list[T]]:
        return self._transformed(lambda rdd: rdd.glom(), "glom")

    def repartition(self: DStream[T], numPartitions: int) -> DStream[T]:
        return self._transformed(lambda rdd: rdd.repartition(numPartitions), "repartition")

    def reduce(self: DStream[T], func: Callable[[T, T], T]) -> DStream[T]:
        """One record per batch, the reduction of its records (nothing for an empty batch)."""
        return self.map(lambda x: (None, x)).reduceByKey(func, 1).map(lambda kv: kv[1])

    def count(self: DStream[Any]) -> DStream[int]:
        """One record per batch: how many records it has (0 for an empty batch)."""
        return self.mapPartitions(lambda records: [sum(1 for _ in records)]).reduce(operator.add)

    def countByValue(self: DStream[K]) -> DStream[tuple[K, int]]:
        return self.map(lambda x: (x, 1)).reduceByKey(operator.add)

    @overload
    def transform(self: DStream[T], func: Callable[[RDD[T]], RDD[U]]) -> DStream[U]: ...

    @overload
    def transform(self: DStream[T], func: Callable[[datetime.datetime, RDD[T]], RDD[U]]) -> DStream[U]: ...

    def transform(self: DStream[T], func: Callable[..., RDD[U]]) -> DStream[U]:
        """``func(rdd)`` or ``func(time, rdd)`` returns each batch's RDD."""
        from ember.streaming.dstream import TransformedDStream, with_time

        return TransformedDStream([self], with_time(func, 1, "transform()"), "transform")

    @overload
    def transformWith(
        self: DStream[T],
        func: Callable[[RDD[T], RDD[U]], RDD[V]],
        other: DStream[U],
        keepSerializer: bool = False,
    ) -> DStream[V]: ...

    @overload
    def transformWith(
        self: DStream[T],
        func: Callable[[datetime.datetime, RDD[T], RDD[U]], RDD[V]],
        other: DStream[U],
        keepSerializer: bool = False,
    ) -> DStream[V]: ...

    def transformWith(
        self: DStream[T], func: Callable[..., RDD[V]], other: DStream[U], keepSerializer: bool = False
    ) -> DStream[V]:
        """``func(rdd, other_rdd)`` or ``func(time, rdd, other_rdd)`` for each batch."""
        from ember.streaming.dstream import TransformedDStream, with_time

        self._check_same_slide(other, "transformWith")
        return TransformedDStream(
            [self, other], with_time(func, 2, "transformWith()"), "transformWith", missing="empty"
        )

    def union(self: DStream[T], other: DStream[U]) -> DStream[T | U]:
        self._check_same_slide(other, "union")
        return self.transformWith(_union_rdds, other, True)

    def _check_same_slide(self: DStream[Any], other: DStream[Any], operation: str) -> None:
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


def _union_rdds(a: RDD[T], b: RDD[U]) -> RDD[T | U]:
    return a.union(b)
