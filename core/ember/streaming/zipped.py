"""An RDD computed from the same-numbered partitions of two RDDs (Spark's zipPartitions),
which mapWithState uses to apply a batch's data to the previous state partition by partition."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from ember.rdd import RDD


class ZippedPartitionsRDD(RDD):
    """``func(split, left_records, right_records)`` for every partition of two equally
    partitioned RDDs."""

    def __init__(self, left: RDD, right: RDD, func: Callable[[int, Iterator, Iterator], Iterable]):
        if left.getNumPartitions() != right.getNumPartitions():
            raise ValueError(
                f"cannot zip RDDs with {left.getNumPartitions()} and "
                f"{right.getNumPartitions()} partitions"
            )
        super().__init__(left.ctx, left.getNumPartitions(), left.partitioner)
        self.left, self.right, self.func = left, right, func

    def dependencies(self) -> list[RDD]:
        return [self.left, self.right]

    def compute(self, split, context) -> Iterator:
        return iter(self.func(split, self.left.iterator(split, context), self.right.iterator(split, context)))
