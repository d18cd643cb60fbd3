"""Per-key operations of an RDD of (key, value) pairs: partitioning, aggregation, value maps.

Every aggregation is built the same way, so the executor sees fused narrow stages around
one shuffle: combine each partition's values per key (narrow), move the combiners to their
key's partition (``partitionBy``, the shuffle), merge them per key (narrow).  Within a
partition keys come out in the order they were first seen, which is PySpark's order.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ember._typing import K, T, U, V
from ember.rdd.partitioner import Partitioner
from ember.rdd.pipeline import Combine, RecordPipeline, append_to, first_value, single_list
from ember.resultiterable import ResultIterable
from ember.serde.hashing import portable_hash

if TYPE_CHECKING:
    from ember.rdd.rdd import RDD


def merge_per_key(
    create: Callable, merge: Callable, operation: str, finish: Callable | None = None
) -> RecordPipeline:
    """A partition function folding (key, value) records into one value per key (then
    ``finish``ed); a stage's record operations before it run in the same loop."""
    return RecordPipeline.combining(Combine(create, merge, operation, finish))


def _extend(values: list, more: list) -> list:
    values.extend(more)
    return values


class PairFunctionsMixin:
    def _defaultReducePartitions(self: RDD[Any]) -> int:
        """Partitions of a shuffle's result when not given: spark.default.parallelism, else ours."""
        if self.ctx._conf.contains("spark.default.parallelism"):
            return self.ctx.defaultParallelism
        return self.getNumPartitions()

    def _reduce_partitions(self: RDD[Any], numPartitions: int | None, operation: str) -> int:
        """``numPartitions`` checked, or the default when it is None."""
        if numPartitions is None:
            return self._defaultReducePartitions()
        if isinstance(numPartitions, bool) or not isinstance(numPartitions, int) or numPartitions < 1:
            raise ValueError(f"{operation}: numPartitions must be a positive int, got {numPartitions!r}")
        return numPartitions

    def partitionBy(
        self: RDD[tuple[K, V]], numPartitions: int | None, partitionFunc: Callable[[K], int] = portable_hash
    ) -> RDD[tuple[K, V]]:
        numPartitions = self._reduce_partitions(numPartitions, "partitionBy")
        partitioner = Partitioner(numPartitions, partitionFunc)
        if self.partitioner == partitioner:
            return self
        return self._shuffle(numPartitions, partitionFunc, partitioner)

    def _combine(
        self: RDD[tuple[K, V]],
        createCombiner: Callable[[V], U],
        mergeValue: Callable[[U, V], U],
        mergeCombiners: Callable[[U, U], U],
        numPartitions: int | None,
        partitionFunc: Callable[[K], int],
        operation: str,
        finish: Callable[[U], Any] | None = None,
    ) -> RDD[tuple[K, Any]]:
        """Map-side combine, shuffle, merge; ``finish`` turns each merged combiner into the result."""
        numPartitions = self._reduce_partitions(numPartitions, operation)
        locally = self.mapPartitionsWithIndex(
            merge_per_key(createCombiner, mergeValue, operation), preservesPartitioning=True
        )
        merge = merge_per_key(first_value, mergeCombiners, operation, finish)
        shuffled = locally.partitionBy(numPartitions, partitionFunc)
        return shuffled.mapPartitionsWithIndex(merge, preservesPartitioning=True)

    def combineByKey(
        self: RDD[tuple[K, V]],
        createCombiner: Callable[[V], U],
        mergeValue: Callable[[U, V], U],
        mergeCombiners: Callable[[U, U], U],
        numPartitions: int | None = None,
        partitionFunc: Callable[[K], int] = portable_hash,
    ) -> RDD[tuple[K, U]]:
        return self._combine(
            createCombiner, mergeValue, mergeCombiners, numPartitions, partitionFunc, "combineByKey"
        )

    def reduceByKey(
        self: RDD[tuple[K, V]],
        func: Callable[[V, V], V],
        numPartitions: int | None = None,
        partitionFunc: Callable[[K], int] = portable_hash,
    ) -> RDD[tuple[K, V]]:
        return self._combine(first_value, func, func, numPartitions, partitionFunc, "reduceByKey")

    def aggregateByKey(
        self: RDD[tuple[K, V]],
        zeroValue: U,
        seqFunc: Callable[[U, V], U],
        combFunc: Callable[[U, U], U],
        numPartitions: int | None = None,
        partitionFunc: Callable[[K], int] = portable_hash,
    ) -> RDD[tuple[K, U]]:
        # Each key starts from its own copy of zeroValue, so seqFunc may mutate it.
        return self._combine(
            lambda value: seqFunc(copy.deepcopy(zeroValue), value),
            seqFunc,
            combFunc,
            numPartitions,
            partitionFunc,
            "aggregateByKey",
        )

    def foldByKey(
        self: RDD[tuple[K, V]],
        zeroValue: V,
        func: Callable[[V, V], V],
        numPartitions: int | None = None,
        partitionFunc: Callable[[K], int] = portable_hash,
    ) -> RDD[tuple[K, V]]:
        return self._combine(
            lambda value: func(copy.deepcopy(zeroValue), value),
            func,
            func,
            numPartitions,
            partitionFunc,
            "foldByKey",
        )

    def groupByKey(
        self: RDD[tuple[K, V]],
        numPartitions: int | None = None,
        partitionFunc: Callable[[K], int] = portable_hash,
    ) -> RDD[tuple[K, ResultIterable[V]]]:
        return self._combine(
            single_list, append_to, _extend, numPartitions, partitionFunc, "groupByKey", finish=ResultIterable
        )

    def groupBy(
        self: RDD[T],
        f: Callable[[T], K],
        numPartitions: int | None = None,
        partitionFunc: Callable[[K], int] = portable_hash,
    ) -> RDD[tuple[K, ResultIterable[T]]]:
        return self.map(lambda x: (f(x), x)).groupByKey(numPartitions, partitionFunc)

    # -- value maps: keys stay, so the partitioning is kept ----------------------------------
    def mapValues(self: RDD[tuple[K, V]], f: Callable[[V], U]) -> RDD[tuple[K, U]]:
        return self.mapPartitionsWithIndex(
            RecordPipeline.of("mapValues", f, "mapValues"), preservesPartitioning=True
        )

    def flatMapValues(self: RDD[tuple[K, V]], f: Callable[[V], Iterable[U]]) -> RDD[tuple[K, U]]:
        return self.mapPartitionsWithIndex(
            RecordPipeline.of("flatMapValues", f, "flatMapValues"), preservesPartitioning=True
        )

    def keys(self: RDD[tuple[K, V]]) -> RDD[K]:
        return self.mapPartitionsWithIndex(RecordPipeline.of("keys", None, "keys"))

    def values(self: RDD[tuple[K, V]]) -> RDD[V]:
        return self.mapPartitionsWithIndex(RecordPipeline.of("values", None, "values"))

    def keyBy(self: RDD[T], f: Callable[[T], K]) -> RDD[tuple[K, T]]:
        return self.map(lambda x: (f(x), x))
