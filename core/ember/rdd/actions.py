"""Actions: operations that run a job and return values to the driver.

Where PySpark reduces per-partition results on the driver (reduce, fold, aggregate, top,
countByValue, mean) ember does the same, in partition order, so results that depend on the
order of a non-commutative function equal PySpark's.
"""

from __future__ import annotations

import copy
import heapq
import itertools
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import reduce as _reduce
from typing import Any

from ember.rdd.pairs import first_value, merge_per_key
from ember.rdd.records import pairs_of

_NOTHING = object()


def _count(iterator: Iterable) -> int:
    return sum(1 for _ in iterator)


def _mean_of(iterator: Iterable) -> tuple[int, float]:
    """(count, running mean) of one partition, updated per value as PySpark's StatCounter does."""
    count, mean = 0, 0.0
    for value in iterator:
        count += 1
        mean += (value - mean) / count
    return count, mean


def _merge_means(left: tuple[int, float], right: tuple[int, float]) -> tuple[int, float]:
    """Two (count, mean) summaries as one, weighting the way StatCounter.mergeStats does."""
    (n, mean), (m, other) = left, right
    if n == 0:
        return right
    if m == 0:
        return left
    delta, total = other - mean, n + m
    if m * 10 < n:
        return total, mean + delta * m / total
    if n * 10 < m:
        return total, other - delta * n / total
    return total, (mean * n + other * m) / total


class ActionsMixin:
    def collect(self) -> list:
        return [record for part in self._run_job(list) for record in part]

    def collectAsMap(self) -> dict:
        return dict(pairs_of(self.collect(), "collectAsMap"))

    def count(self) -> int:
        return sum(self._run_job(_count))

    def reduce(self, f: Callable):
        def reduce_partition(iterator):  # a list, so an empty partition is told apart from None
            first = next(iterator, _NOTHING)
            return [] if first is _NOTHING else [_reduce(f, iterator, first)]

        values = [value for part in self._run_job(reduce_partition) for value in part]
        if not values:
            raise ValueError("Can not reduce() empty RDD")
        return _reduce(f, values)

    def fold(self, zeroValue, op: Callable):
        # Every partition folds from its own copy of zeroValue, as it would in its own process.
        values = self._run_job(lambda iterator: _reduce(op, iterator, copy.deepcopy(zeroValue)))
        return _reduce(op, values, zeroValue)

    def aggregate(self, zeroValue, seqOp: Callable, combOp: Callable):
        values = self._run_job(lambda iterator: _reduce(seqOp, iterator, copy.deepcopy(zeroValue)))
        return _reduce(combOp, values, zeroValue)

    def sum(self):
        return self.mapPartitions(lambda iterator: [sum(iterator)]).fold(0, operator.add)

    def max(self, key: Callable | None = None):
        if key is None:
            return self.reduce(max)
        return self.reduce(lambda a, b: max(a, b, key=key))

    def min(self, key: Callable | None = None):
        if key is None:
            return self.reduce(min)
        return self.reduce(lambda a, b: min(a, b, key=key))

    def mean(self) -> float:
        summaries = self._run_job(_mean_of)
        if not summaries:
            raise ValueError("Can not reduce() empty RDD")
        return float(_reduce(_merge_means, summaries)[1])

    def isEmpty(self) -> bool:
        return self.getNumPartitions() == 0 or not self.take(1)

    def countByValue(self) -> dict:
        def count_values(iterator):
            counts: dict = defaultdict(int)
            for record in iterator:
                counts[record] += 1
            return [counts]

        def merge(left: dict, right: dict) -> dict:
            for value, count in right.items():
                left[value] += count
            return left

        return self.mapPartitions(count_values).reduce(merge)

    def countByKey(self) -> dict:
        return self.keys().countByValue()

    def reduceByKeyLocally(self, func: Callable) -> dict:
        """reduceByKey's result as a dict on the driver, merged there instead of shuffled."""
        reduce_partition = merge_per_key(first_value, func, "reduceByKeyLocally")

        def merge(left: dict, right: dict) -> dict:
            for key, value in right.items():
                left[key] = func(left[key], value) if key in left else value
            return left

        per_partition = self.mapPartitionsWithIndex(
            lambda split, iterator: [dict(reduce_partition(split, iterator))]
        )
        return per_partition.reduce(merge)

    def lookup(self, key) -> list:
        """Values of ``key``; reads only the key's partition when the RDD has a partitioner."""
        values = self.filter(lambda pair: pair[0] == key).values()
        if self.partitioner is not None:
            return self.ctx.runJob(values, lambda iterator: iterator, [self.partitioner(key)])
        return values.collect()

    def foreach(self, f: Callable) -> None:
        def apply(iterator):
            for record in iterator:
                f(record)

        self._run_job(apply)

    def foreachPartition(self, f: Callable[[Iterable], Any]) -> None:
        def apply(iterator):
            result = f(iterator)
            if hasattr(result, "__iter__"):  # a generator function does its work when drained
                for _ in result:
                    pass

        self._run_job(apply)

    # -- the first records, without computing partitions that are not needed ----------------
    def take(self, num: int) -> list:
        """The first ``num`` records, scanning one partition, then more as PySpark estimates."""
        items: list = []
        total, scanned = self.getNumPartitions(), 0
        while len(items) < num and scanned < total:
            batch = 1
            if scanned > 0:
                if not items:
                    batch = scanned * 4
                else:
                    estimate = int(1.5 * num * scanned / len(items)) - scanned
                    batch = min(max(estimate, 1), scanned * 4)
            wanted = num - len(items)
            parts = range(scanned, min(scanned + batch, total))
            for part in self._run_job(lambda iterator: _first(iterator, wanted), parts):
                items.extend(part)
            scanned += batch
        return items[:num]

    def toLocalIterator(self, prefetchPartitions: bool = False):
        """Every record, fetching one partition at a time (``prefetchPartitions`` is accepted, unused)."""
        for split in range(self.getNumPartitions()):
            yield from self._run_job(list, [split])[0]

    def first(self):
        records = self.take(1)
        if not records:
            raise ValueError("RDD is empty")
        return records[0]

    def takeOrdered(self, num: int, key: Callable | None = None) -> list:
        if num < 0:
            raise ValueError("top N cannot be negative.")
        if num == 0 or self.getNumPartitions() == 0:  # PySpark answers these without a job
            return []
        return self._best(num, heapq.nsmallest, key)

    def top(self, num: int, key: Callable | None = None) -> list:
        return self._best(num, heapq.nlargest, key)

    def _best(self, num: int, select: Callable, key: Callable | None) -> list:
        per_partition = self._run_job(lambda iterator: select(num, iterator, key=key))
        if not per_partition:
            raise ValueError("Can not reduce() empty RDD")
        return _reduce(lambda a, b: select(num, a + b, key=key), per_partition)


def _first(iterator, count: int) -> list:
    return list(itertools.islice(iterator, count))
