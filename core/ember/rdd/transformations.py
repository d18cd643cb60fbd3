"""Record-level transformations of an RDD (PySpark's names, argument orders and defaults)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ember._typing import T, U
from ember.rdd.pipeline import RecordPipeline

if TYPE_CHECKING:
    from ember.rdd.rdd import RDD


class TransformationsMixin:
    def map(self: RDD[T], f: Callable[[T], U], preservesPartitioning: bool = False) -> RDD[U]:
        return self.mapPartitionsWithIndex(RecordPipeline.of("map", f, "map"), preservesPartitioning)

    def flatMap(self: RDD[T], f: Callable[[T], Iterable[U]], preservesPartitioning: bool = False) -> RDD[U]:
        return self.mapPartitionsWithIndex(RecordPipeline.of("flatMap", f, "flatMap"), preservesPartitioning)

    def filter(self: RDD[T], f: Callable[[T], bool]) -> RDD[T]:
        return self.mapPartitionsWithIndex(RecordPipeline.of("filter", f, "filter"), True)

    def mapPartitions(
        self: RDD[T], f: Callable[[Iterable[T]], Iterable[U]], preservesPartitioning: bool = False
    ) -> RDD[U]:
        return self.mapPartitionsWithIndex(lambda _, iterator: f(iterator), preservesPartitioning)

    def glom(self: RDD[T]) -> RDD[list[T]]:
        return self.mapPartitionsWithIndex(lambda _, iterator: iter([list(iterator)]))

    def union(self: RDD[T], other: RDD[U]) -> RDD[T | U]:
        """Both RDDs' partitions; aligned (and still partitioned) when they share a partitioner."""
        combined = self._union_all([self, other])
        if self.partitioner == other.partitioner and combined.getNumPartitions() == self.getNumPartitions():
            combined.partitioner = self.partitioner
        return combined

    def __add__(self, other: RDD[Any]) -> RDD[Any]:
        if not hasattr(other, "_union_all"):
            raise TypeError(f"Can only add an RDD to an RDD, not {type(other).__name__}")
        return self.union(other)

    def _union_all(self: RDD[Any], rdds: list[RDD[Any]]) -> RDD[Any]:
        """Spark's union: partition-aligned when every non-empty RDD has the same partitioner."""
        from ember.rdd.lineage import PartitionerAwareUnionRDD, UnionRDD

        non_empty = [rdd for rdd in rdds if rdd.getNumPartitions() > 0]
        partitioners = {rdd.partitioner for rdd in non_empty}
        if non_empty and None not in partitioners and len(partitioners) == 1:
            return PartitionerAwareUnionRDD(self.ctx, non_empty)
        return UnionRDD(self.ctx, non_empty)

    def distinct(self: RDD[T], numPartitions: int | None = None) -> RDD[T]:
        return (
            self.map(lambda x: (x, None))
            .reduceByKey(lambda first, _: first, numPartitions)
            .map(lambda pair: pair[0])
        )

    def cartesian(self: RDD[T], other: RDD[U]) -> RDD[tuple[T, U]]:
        from ember.rdd.lineage import CartesianRDD

        return CartesianRDD(self, other)

    def zipWithIndex(self: RDD[T]) -> RDD[tuple[T, int]]:
        """(record, index) with indices in partition order; counts the partitions first, as Spark."""
        starts = [0]
        if self.getNumPartitions() > 1:
            for size in self._run_job(lambda iterator: sum(1 for _ in iterator))[:-1]:
                starts.append(starts[-1] + size)

        def with_index(split, iterator):
            return ((record, index) for index, record in enumerate(iterator, starts[split]))

        return self.mapPartitionsWithIndex(with_index)

    def zipWithUniqueId(self: RDD[T]) -> RDD[tuple[T, int]]:
        """(record, id): the k-th record of partition i gets ``k * n + i`` (n partitions); no job."""
        count = self.getNumPartitions()

        def with_id(split, iterator):
            return ((record, k * count + split) for k, record in enumerate(iterator))

        return self.mapPartitionsWithIndex(with_id)
