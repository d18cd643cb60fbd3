"""sortByKey and sortBy: sampled range partitioning, then a stable sort inside each partition.

The sample is PySpark's exactly (same fraction, seed 1, the same random draws per partition:
see ``sampling``), so the partition bounds, and so every partition's contents, equal PySpark's.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ember._typing import K, T, V

if TYPE_CHECKING:
    from ember.rdd.rdd import RDD

_SAMPLE_PER_PARTITION = 20.0  # Spark's RangePartitioner samples about 20 keys per partition
_SAMPLE_SEED = 1


def _identity(key: Any) -> Any:
    return key


class SortingMixin:
    def sortByKey(
        self: RDD[tuple[K, V]],
        ascending: bool = True,
        numPartitions: int | None = None,
        keyfunc: Callable[[K], Any] = _identity,
    ) -> RDD[tuple[K, V]]:
        numPartitions = self._reduce_partitions(numPartitions, "sortByKey")

        def sort_partition(_, iterator):
            return iter(sorted(iterator, key=lambda pair: keyfunc(pair[0]), reverse=not ascending))

        if numPartitions == 1:
            single = self.coalesce(1) if self.getNumPartitions() > 1 else self
            return single.mapPartitionsWithIndex(sort_partition, True)

        size = self.count()
        if not size:
            return self
        fraction = min(_SAMPLE_PER_PARTITION * numPartitions / size, 1.0)
        samples = sorted(self.sample(False, fraction, _SAMPLE_SEED).keys().collect(), key=keyfunc)
        # As in PySpark the bounds are sampled keys, compared with keyfunc(key) below.
        bounds = [samples[int(len(samples) * (i + 1) / numPartitions)] for i in range(numPartitions - 1)]

        def range_partition(key) -> int:
            position = bisect.bisect_left(bounds, keyfunc(key))
            return position if ascending else numPartitions - 1 - position

        return self.partitionBy(numPartitions, range_partition).mapPartitionsWithIndex(sort_partition, True)

    def sortBy(
        self: RDD[T], keyfunc: Callable[[T], Any], ascending: bool = True, numPartitions: int | None = None
    ) -> RDD[T]:
        return self.keyBy(keyfunc).sortByKey(ascending, numPartitions).values()
