"""Record-level transformations of an RDD (PySpark's names, argument orders and defaults)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from ember.rdd.pipeline import RecordPipeline

if TYPE_CHECKING:
    from ember.rdd.rdd import RDD


class TransformationsMixin:
    def map(self, f: Callable, preservesPartitioning: bool = False) -> RDD:
        return self.mapPartitionsWithIndex(RecordPipeline.of("map", f, "map"), preservesPartitioning)

    def flatMap(self, f: Callable[..., Iterable], preservesPartitioning: bool = False) -> RDD:
        return self.mapPartitionsWithIndex(RecordPipeline.of("flatMap", f, "flatMap"), preservesPartitioning)

    def filter(self, f: Callable) -> RDD:
        return self.mapPartitionsWithIndex(RecordPipeline.of("filter", f, "filter"), True)

    def mapPartitions(self, f: Callable[[Iterable], Iterable], preservesPartitioning: bool = False) -> RDD:
        return self.mapPartitionsWithIndex(lambda _, iterator: f(iterator), preservesPartitioning)

    def glom(self) -> RDD:
        return self.mapPartitionsWithIndex(lambda _, iterator: iter([list(iterator)]))

    def union(self, other: RDD) -> RDD:
        """Both RDDs' partitions; aligned (and still partitioned) when they share a partitioner."""
        combined = self._union_all([self, other])
        if self.partitioner == other.partitioner and combined.getNumPartitions() == self.getNumPartitions():
            combined.partitioner = self.partitioner
        return combined

    def __add__(self, other: RDD) -> RDD:
        if not hasattr(other, "_union_all"):
            raise TypeError(f"Can only add an RDD to an RDD, not {type(other).__name__}")
        return self.union(other)

    def _union_all(self, rdds: list[RDD]) -> RDD:
        """Spark's union: partition-aligned when every non-empty RDD has the same partitioner."""
        from ember.rdd.lineage import PartitionerAwareUnionRDD, UnionRDD

        non_empty = [rdd for rdd in rdds if rdd.getNumPartitions() > 0]
        partitioners = {rdd.partitioner for rdd in non_empty}
        if non_empty and None not in partitioners and len(partitioners) == 1:
            return PartitionerAwareUnionRDD(self.ctx, non_empty)
        return UnionRDD(self.ctx, non_empty)

    def distinct(self, numPartitions: int | None = None) -> RDD:
        return (
            self.map(lambda x: (x, None))
            .reduceByKey(lambda first, _: first, numPartitions)
            .map(lambda pair: pair[0])
        )

    def cartesian(self, other: RDD) -> RDD:
        from ember.rdd.lineage import CartesianRDD

        return CartesianRDD(self, other)

    def zipWithIndex(self) -> RDD:
        """(record, index) with indices in partition order; counts the partitions first, as Spark."""
        starts = [0]
        if self.getNumPartitions() > 1:
            for size in self._run_job(lambda iterator: sum(1 for _ in iterator))[:-1]:
                starts.append(starts[-1] + size)

        def with_index(split, iterator):
            return ((record, index) for index, record in enumerate(iterator, starts[split]))

        return self.mapPartitionsWithIndex(with_index)

    def zipWithUniqueId(self) -> RDD:
        """(record, id): the k-th record of partition i gets ``k * n + i`` (n partitions); no job."""
        count = self.getNumPartitions()

        def with_id(split, iterator):
            return ((record, k * count + split) for k, record in enumerate(iterator))

        return self.mapPartitionsWithIndex(with_id)
