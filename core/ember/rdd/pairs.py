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
from ember.rdd.records import not_a_pair, pairs_of
from ember.resultiterable import ResultIterable
from ember.serde.hashing import portable_hash

if TYPE_CHECKING:
    from ember.rdd.rdd import RDD


def merge_per_key(create: Callable, merge: Callable, operation: str) -> Callable:
    """A partition function folding (key, value) records into one value per key.

    This is the inner loop of every aggregation, so the pair check is inlined here.
    """

    def merged(_, iterator):
        values: dict = {}
        get = values.get
        for record in iterator:
            try:
                key, value = record
            except (TypeError, ValueError):
                not_a_pair(record, operation)
            current = get(key, _MISSING)
            values[key] = create(value) if current is _MISSING else merge(current, value)
        return iter(values.items())

    return merged


_MISSING = object()


def first_value(value):
    """A key's first value becomes its combiner as it is: every block read gives a task records
    of its own (the executors decode blocks), so merging into it is as safe as in PySpark."""
    return value


def _single_list(value) -> list:
    return [value]


def _append(values: list, value) -> list:
    values.append(value)
    return values


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
        merge = merge_per_key(first_value, mergeCombiners, operation)
        if finish is not None:

            def merge_and_finish(split, iterator, _merge=merge):
                return ((key, finish(combined)) for key, combined in _merge(split, iterator))

            merge = merge_and_finish
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
            _single_list, _append, _extend, numPartitions, partitionFunc, "groupByKey", finish=ResultIterable
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
        def map_values(_, iterator):
            return ((key, f(value)) for key, value in pairs_of(iterator, "mapValues"))

        return self.mapPartitionsWithIndex(map_values, preservesPartitioning=True)

    def flatMapValues(self: RDD[tuple[K, V]], f: Callable[[V], Iterable[U]]) -> RDD[tuple[K, U]]:
        def flat_map_values(_, iterator):
            for key, value in pairs_of(iterator, "flatMapValues"):
                for item in f(value):
                    yield key, item

        return self.mapPartitionsWithIndex(flat_map_values, preservesPartitioning=True)

    def keys(self: RDD[tuple[K, V]]) -> RDD[K]:
        return self.mapPartitionsWithIndex(lambda _, iterator: (key for key, _ in pairs_of(iterator, "keys")))

    def values(self: RDD[tuple[K, V]]) -> RDD[V]:
        return self.mapPartitionsWithIndex(
            lambda _, iterator: (value for _, value in pairs_of(iterator, "values"))
        )

    def keyBy(self: RDD[T], f: Callable[[T], K]) -> RDD[tuple[K, T]]:
        return self.map(lambda x: (f(x), x))
