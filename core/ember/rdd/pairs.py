"""Key/value operations of an RDD of pairs (PySpark's names, argument orders and defaults)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from ember.rdd.partitioner import Partitioner
from ember.serde.hashing import portable_hash

if TYPE_CHECKING:
    from ember.rdd.rdd import RDD


class PairFunctionsMixin:
    def _defaultReducePartitions(self) -> int:
        configured = self.ctx._conf.get("spark.default.parallelism")
        return int(configured) if configured else self.getNumPartitions()

    def partitionBy(self, numPartitions: int | None, partitionFunc: Callable[[Any], int] = portable_hash) -> "RDD":
        if numPartitions is None:
            numPartitions = self._defaultReducePartitions()
        partitioner = Partitioner(numPartitions, partitionFunc)
        if self.partitioner == partitioner:
            return self
        return self._shuffle(numPartitions, partitionFunc, partitioner)

    def combineByKey(self, createCombiner: Callable, mergeValue: Callable, mergeCombiners: Callable,
                     numPartitions: int | None = None, partitionFunc: Callable[[Any], int] = portable_hash) -> "RDD":
        if numPartitions is None:
            numPartitions = self._defaultReducePartitions()

        def combine_locally(_, iterator):
            combiners: dict = {}
            for key, value in iterator:
                combiners[key] = mergeValue(combiners[key], value) if key in combiners else createCombiner(value)
            return iter(combiners.items())

        def merge_combiners(_, iterator):
            merged: dict = {}
            for key, combiner in iterator:
                merged[key] = mergeCombiners(merged[key], combiner) if key in merged else combiner
            return iter(merged.items())

        locally = self.mapPartitionsWithIndex(combine_locally, preservesPartitioning=True)
        shuffled = locally.partitionBy(numPartitions, partitionFunc)
        return shuffled.mapPartitionsWithIndex(merge_combiners, preservesPartitioning=True)

    def reduceByKey(self, func: Callable, numPartitions: int | None = None,
                    partitionFunc: Callable[[Any], int] = portable_hash) -> "RDD":
        return self.combineByKey(lambda x: x, func, func, numPartitions, partitionFunc)
