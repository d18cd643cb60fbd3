"""zip: pair the i-th record of one RDD with the i-th record of another, partition by partition.

Both RDDs must have as many partitions, and each pair of partitions as many records; as in
Spark the second is checked only while computing (``ZippedRDD``), so a mismatch fails the
job that reads it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ember._typing import T, U

if TYPE_CHECKING:
    from ember.rdd.rdd import RDD


class ZipMixin:
    def zip(self: RDD[T], other: RDD[U]) -> RDD[tuple[T, U]]:
        from ember.rdd.lineage import ZippedRDD

        if self.getNumPartitions() != other.getNumPartitions():
            raise ValueError("Can only zip with RDD which has the same number of partitions")
        return ZippedRDD(self, other)
