"""Key/value DStream operations on streams of (key, value) pairs.

As in PySpark, a shuffle's partition count defaults to ``sc.defaultParallelism`` here (the
RDD operations of the same names default to the parent's count instead).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ember._typing import K, U, V
from ember.resultiterable import ResultIterable
from ember.serde.hashing import portable_hash

if TYPE_CHECKING:
    from ember.rdd import RDD
    from ember.streaming.dstream import DStream


class PairOpsMixin:
    # ``self: DStream[tuple[K, V]]``: these apply to streams of pairs only, as in PySpark
    def _partitions(self: DStream[Any], numPartitions: int | None) -> int:
        return self._sc.defaultParallelism if numPartitions is None else numPartitions

    def mapValues(self: DStream[tuple[K, V]], f: Callable[[V], U]) -> DStream[tuple[K, U]]:
        return self.map(lambda kv: (kv[0], f(kv[1])), preservesPartitioning=True)

    def flatMapValues(self: DStream[tuple[K, V]], f: Callable[[V], Iterable[U]]) -> DStream[tuple[K, U]]:
        return self.flatMap(lambda kv: ((kv[0], v) for v in f(kv[1])), preservesPartitioning=True)

    def partitionBy(
        self: DStream[tuple[K, V]], numPartitions: int, partitionFunc: Callable[[K], int] = portable_hash
    ) -> DStream[tuple[K, V]]:
        return self._transformed(lambda rdd: rdd.partitionBy(numPartitions, partitionFunc), "partitionBy")

    def combineByKey(
        self: DStream[tuple[K, V]],
        createCombiner: Callable[[V], U],
        mergeValue: Callable[[U, V], U],
        mergeCombiners: Callable[[U, U], U],
        numPartitions: int | None = None,
    ) -> DStream[tuple[K, U]]:
        count = self._partitions(numPartitions)
        return self._transformed(
            lambda rdd: rdd.combineByKey(createCombiner, mergeValue, mergeCombiners, count), "combineByKey"
        )

    def reduceByKey(
        self: DStream[tuple[K, V]], func: Callable[[V, V], V], numPartitions: int | None = None
    ) -> DStream[tuple[K, V]]:
        # PySpark's combineByKey(lambda x: x, func, func): the same node, with the RDD's own
        # reduceByKey, whose first value per key needs no function call
        count = self._partitions(numPartitions)
        return self._transformed(lambda rdd: rdd.reduceByKey(func, count), "combineByKey")

    def groupByKey(
        self: DStream[tuple[K, V]], numPartitions: int | None = None
    ) -> DStream[tuple[K, ResultIterable[V]]]:
        count = self._partitions(numPartitions)
        return self._transformed(lambda rdd: rdd.groupByKey(count), "groupByKey")

    def _joined(
        self: DStream[tuple[K, V]], other: DStream[tuple[K, U]], rdd_method: str, numPartitions: int | None
    ) -> DStream[Any]:
        count = self._partitions(numPartitions)

        def joined(a: RDD[tuple[K, V]], b: RDD[tuple[K, U]]) -> RDD[Any]:
            result: RDD[Any] = getattr(a, rdd_method)(b, count)
            return result

        return self.transformWith(joined, other)

    def cogroup(
        self: DStream[tuple[K, V]],
        other: DStream[tuple[K, U]],
        numPartitions: int | None = None,
    ) -> DStream[tuple[K, tuple[ResultIterable[V], ResultIterable[U]]]]:
        return self._joined(other, "cogroup", numPartitions)

    def join(
        self: DStream[tuple[K, V]], other: DStream[tuple[K, U]], numPartitions: int | None = None
    ) -> DStream[tuple[K, tuple[V, U]]]:
        return self._joined(other, "join", numPartitions)

    def leftOuterJoin(
        self: DStream[tuple[K, V]], other: DStream[tuple[K, U]], numPartitions: int | None = None
    ) -> DStream[tuple[K, tuple[V, U | None]]]:
        return self._joined(other, "leftOuterJoin", numPartitions)

    def rightOuterJoin(
        self: DStream[tuple[K, V]], other: DStream[tuple[K, U]], numPartitions: int | None = None
    ) -> DStream[tuple[K, tuple[V | None, U]]]:
        return self._joined(other, "rightOuterJoin", numPartitions)

    def fullOuterJoin(
        self: DStream[tuple[K, V]], other: DStream[tuple[K, U]], numPartitions: int | None = None
    ) -> DStream[tuple[K, tuple[V | None, U | None]]]:
        return self._joined(other, "fullOuterJoin", numPartitions)
