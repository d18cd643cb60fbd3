"""Actions: operations that run a job and return values to the driver.

Where PySpark reduces per-partition results on the driver (reduce, fold, aggregate, top,
countByValue) ember does the same, in partition order, so results that depend on the
order of a non-commutative function equal PySpark's.
"""

from __future__ import annotations

import copy
import heapq
import itertools
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from functools import reduce as _reduce
from typing import TYPE_CHECKING, Any, cast

from ember._typing import K, T, U, V
from ember.rdd.pairs import first_value, merge_per_key
from ember.rdd.records import pairs_of

if TYPE_CHECKING:
    from ember.rdd.rdd import RDD

_NOTHING = object()


#: iterators whose ``__length_hint__`` is exactly what is left (over lists, tuples, dicts and
#: ranges: a kept state's partition is a dict, a decoded block a list)
_SIZED_ITERATORS: frozenset[type] = frozenset(
    map(
        type,
        (iter([]), iter(()), iter({}), iter({}.keys()), iter({}.values()), iter({}.items()), iter(range(0))),
    )
)


def _count(iterator: Iterable) -> int:
    if type(iterator) in _SIZED_ITERATORS:
        return operator.length_hint(iterator)
    return sum(1 for _ in iterator)


class ActionsMixin:
    def collect(self: RDD[T]) -> list[T]:
        return [record for part in self._run_job(list) for record in part]

    def collectAsMap(self: RDD[tuple[K, V]]) -> dict[K, V]:
        return dict(pairs_of(self.collect(), "collectAsMap"))

    def count(self: RDD[Any]) -> int:
        return sum(self._run_job(_count))

    def reduce(self: RDD[T], f: Callable[[T, T], T]) -> T:
        def reduce_partition(iterator):  # a list, so an empty partition is told apart from None
            first = next(iterator, _NOTHING)
            return [] if first is _NOTHING else [_reduce(f, iterator, first)]

        values = [value for part in self._run_job(reduce_partition) for value in part]
        if not values:
            raise ValueError("Can not reduce() empty RDD")
        return _reduce(f, values)

    def fold(self: RDD[T], zeroValue: T, op: Callable[[T, T], T]) -> T:
        # Every partition folds from its own copy of zeroValue, as it would in its own process.
        values = self._run_job(lambda iterator: _reduce(op, iterator, copy.deepcopy(zeroValue)))
        return _reduce(op, values, zeroValue)

    def aggregate(self: RDD[T], zeroValue: U, seqOp: Callable[[U, T], U], combOp: Callable[[U, U], U]) -> U:
        values = self._run_job(lambda iterator: _reduce(seqOp, iterator, copy.deepcopy(zeroValue)))
        return _reduce(combOp, values, zeroValue)

    def sum(self: RDD[Any]) -> Any:
        return self.mapPartitions(lambda iterator: [sum(iterator)]).fold(0, operator.add)

    def max(self: RDD[T], key: Callable[[T], Any] | None = None) -> T:
        if key is None:
            return self.reduce(cast("Callable[[T, T], T]", max))
        return self.reduce(lambda a, b: max(a, b, key=key))

    def min(self: RDD[T], key: Callable[[T], Any] | None = None) -> T:
        if key is None:
            return self.reduce(cast("Callable[[T, T], T]", min))
        return self.reduce(lambda a, b: min(a, b, key=key))

    def isEmpty(self: RDD[Any]) -> bool:
        return self.getNumPartitions() == 0 or not self.take(1)

    def countByValue(self: RDD[K]) -> dict[K, int]:
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

    def countByKey(self: RDD[tuple[K, Any]]) -> dict[K, int]:
        return self.keys().countByValue()

    def reduceByKeyLocally(self: RDD[tuple[K, V]], func: Callable[[V, V], V]) -> dict[K, V]:
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

    def lookup(self: RDD[tuple[K, V]], key: K) -> list[V]:
        """Values of ``key``; reads only the key's partition when the RDD has a partitioner."""
        values = self.filter(lambda pair: pair[0] == key).values()
        if self.partitioner is not None:
            return self.ctx.runJob(values, lambda iterator: iterator, [self.partitioner(key)])
        return values.collect()

    def foreach(self: RDD[T], f: Callable[[T], None]) -> None:
        def apply(iterator):
            for record in iterator:
                f(record)

        self._run_job(apply)

    def foreachPartition(self: RDD[T], f: Callable[[Iterable[T]], Any]) -> None:
        def apply(iterator):
            result = f(iterator)
            if hasattr(result, "__iter__"):  # a generator function does its work when drained
                for _ in result:
                    pass

        self._run_job(apply)

    # -- the first records, without computing partitions that are not needed ----------------
    def take(self: RDD[T], num: int) -> list[T]:
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

    def toLocalIterator(self: RDD[T], prefetchPartitions: bool = False) -> Iterator[T]:
        """Every record, fetching one partition at a time (``prefetchPartitions`` is accepted, unused)."""
        for split in range(self.getNumPartitions()):
            yield from self._run_job(list, [split])[0]

    def first(self: RDD[T]) -> T:
        records = self.take(1)
        if not records:
            raise ValueError("RDD is empty")
        return records[0]

    def takeOrdered(self: RDD[T], num: int, key: Callable[[T], Any] | None = None) -> list[T]:
        if num < 0:
            raise ValueError("top N cannot be negative.")
        if num == 0 or self.getNumPartitions() == 0:  # PySpark answers these without a job
            return []
        return self._best(num, heapq.nsmallest, key)

    def top(self: RDD[T], num: int, key: Callable[[T], Any] | None = None) -> list[T]:
        return self._best(num, heapq.nlargest, key)

    def _best(
        self: RDD[T], num: int, select: Callable[..., list[T]], key: Callable[[T], Any] | None
    ) -> list[T]:
        per_partition = self._run_job(lambda iterator: select(num, iterator, key=key))
        if not per_partition:
            raise ValueError("Can not reduce() empty RDD")
        return _reduce(lambda a, b: select(num, a + b, key=key), per_partition)


def _first(iterator, count: int) -> list:
    return list(itertools.islice(iterator, count))
