"""Key/value DStream operations on streams of (key, value) pairs.

As in PySpark, a shuffle's partition count defaults to ``sc.defaultParallelism`` here (the
RDD operations of the same names default to the parent's count instead).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ember.serde.hashing import portable_hash

if TYPE_CHECKING:
    from ember.streaming.dstream import DStream


class PairOpsMixin:
    def _partitions(self, numPartitions: int | None) -> int:
        return self._sc.defaultParallelism if numPartitions is None else numPartitions

    def mapValues(self, f: Callable) -> DStream:
        return self.map(lambda kv: (kv[0], f(kv[1])), preservesPartitioning=True)

    def flatMapValues(self, f: Callable) -> DStream:
        return self.flatMap(lambda kv: ((kv[0], v) for v in f(kv[1])), preservesPartitioning=True)

    def partitionBy(self, numPartitions: int, partitionFunc: Callable[[Any], int] = portable_hash) -> DStream:
        return self._transformed(lambda rdd: rdd.partitionBy(numPartitions, partitionFunc), "partitionBy")

    def combineByKey(
        self,
        createCombiner: Callable,
        mergeValue: Callable,
        mergeCombiners: Callable,
        numPartitions: int | None = None,
    ) -> DStream:
        count = self._partitions(numPartitions)
        return self._transformed(
            lambda rdd: rdd.combineByKey(createCombiner, mergeValue, mergeCombiners, count), "combineByKey"
        )

    def reduceByKey(self, func: Callable, numPartitions: int | None = None) -> DStream:
        # PySpark's combineByKey(lambda x: x, func, func): the same node, with the RDD's own
        # reduceByKey, whose first value per key needs no function call
        count = self._partitions(numPartitions)
        return self._transformed(lambda rdd: rdd.reduceByKey(func, count), "combineByKey")

    def groupByKey(self, numPartitions: int | None = None) -> DStream:
        count = self._partitions(numPartitions)
        return self._transformed(lambda rdd: rdd.groupByKey(count), "groupByKey")

    def _joined(self, other: DStream, rdd_method: str, numPartitions: int | None) -> DStream:
        count = self._partitions(numPartitions)
        return self.transformWith(lambda a, b: getattr(a, rdd_method)(b, count), other)

    def cogroup(self, other: DStream, numPartitions: int | None = None) -> DStream:
        return self._joined(other, "cogroup", numPartitions)

    def join(self, other: DStream, numPartitions: int | None = None) -> DStream:
        return self._joined(other, "join", numPartitions)

    def leftOuterJoin(self, other: DStream, numPartitions: int | None = None) -> DStream:
        return self._joined(other, "leftOuterJoin", numPartitions)

    def rightOuterJoin(self, other: DStream, numPartitions: int | None = None) -> DStream:
        return self._joined(other, "rightOuterJoin", numPartitions)

    def fullOuterJoin(self, other: DStream, numPartitions: int | None = None) -> DStream:
        return self._joined(other, "fullOuterJoin", numPartitions)
