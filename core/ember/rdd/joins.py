"""Joins and cogroups of pair RDDs, with PySpark's partition counts and output order.

As in PySpark, each input's values are tagged with the input's position, the tagged RDDs are
unioned and grouped by key in one shuffle, and each key's values are split back per input.
So a join has as many partitions as the union of its inputs (or ``numPartitions``), and
none is shuffled again when both inputs already share a partitioner.
"""

from __future__ import annotations

from functools import reduce
from typing import TYPE_CHECKING, Any

from ember._typing import K, T, U, V
from ember.rdd.pipeline import RecordPipeline
from ember.resultiterable import ResultIterable
from ember.serde.hashing import portable_hash

if TYPE_CHECKING:
    from ember.rdd.rdd import RDD


def _group_by_input(rdds: list[RDD], numPartitions: int | None, operation: str) -> RDD:
    """(key, [values from rdds[0], values from rdds[1], ...]) for every key of any input."""
    count = len(rdds)

    def tagger(position: int) -> RecordPipeline:
        return RecordPipeline.of("mapValues", lambda value: (position, value), operation)

    def first_value(tagged):
        buffers = [[] for _ in range(count)]
        buffers[tagged[0]].append(tagged[1])
        return buffers

    def add_value(buffers, tagged):
        buffers[tagged[0]].append(tagged[1])
        return buffers

    def merge_buffers(buffers, more):
        for mine, theirs in zip(buffers, more):
            mine.extend(theirs)
        return buffers

    tagged = [rdd.mapPartitionsWithIndex(tagger(i), preservesPartitioning=True) for i, rdd in enumerate(rdds)]
    union = reduce(lambda left, right: left.union(right), tagged)
    return union._combine(first_value, add_value, merge_buffers, numPartitions, portable_hash, operation)


def _joined(
    left: RDD,
    right: RDD,
    numPartitions: int | None,
    operation: str,
    keep_left_only: bool,
    keep_right_only: bool,
) -> RDD:
    """Every (left value, right value) per key; a missing side is None where it is kept."""

    def pairs(buffers):
        lefts, rights = buffers
        if not lefts and keep_right_only:
            lefts = [None]
        if not rights and keep_left_only:
            rights = [None]
        return ((v, w) for v in lefts for w in rights)

    return _group_by_input([left, right], numPartitions, operation).flatMapValues(pairs)


class JoinsMixin:
    def cogroup(
        self: RDD[tuple[K, V]],
        other: RDD[tuple[K, U]],
        numPartitions: int | None = None,
    ) -> RDD[tuple[K, tuple[ResultIterable[V], ResultIterable[U]]]]:
        return _group_by_input([self, other], numPartitions, "cogroup").mapValues(_as_results)

    def groupWith(
        self: RDD[tuple[K, Any]],
        other: RDD[tuple[K, Any]],
        *others: RDD[tuple[K, Any]],
    ) -> RDD[tuple[K, tuple[ResultIterable[Any], ...]]]:
        return _group_by_input([self, other, *others], None, "groupWith").mapValues(_as_results)

    def join(
        self: RDD[tuple[K, V]], other: RDD[tuple[K, U]], numPartitions: int | None = None
    ) -> RDD[tuple[K, tuple[V, U]]]:
        return _joined(self, other, numPartitions, "join", False, False)

    def leftOuterJoin(
        self: RDD[tuple[K, V]], other: RDD[tuple[K, U]], numPartitions: int | None = None
    ) -> RDD[tuple[K, tuple[V, U | None]]]:
        return _joined(self, other, numPartitions, "leftOuterJoin", True, False)

    def rightOuterJoin(
        self: RDD[tuple[K, V]], other: RDD[tuple[K, U]], numPartitions: int | None = None
    ) -> RDD[tuple[K, tuple[V | None, U]]]:
        return _joined(self, other, numPartitions, "rightOuterJoin", False, True)

    def fullOuterJoin(
        self: RDD[tuple[K, V]], other: RDD[tuple[K, U]], numPartitions: int | None = None
    ) -> RDD[tuple[K, tuple[V | None, U | None]]]:
        return _joined(self, other, numPartitions, "fullOuterJoin", True, True)

    def subtractByKey(
        self: RDD[tuple[K, V]], other: RDD[tuple[K, Any]], numPartitions: int | None = None
    ) -> RDD[tuple[K, V]]:
        def only_in_self(buffers):
            mine, theirs = buffers
            return mine if not theirs else ()

        return _group_by_input([self, other], numPartitions, "subtractByKey").flatMapValues(only_in_self)

    def subtract(self: RDD[T], other: RDD[T], numPartitions: int | None = None) -> RDD[T]:
        return self.map(_with_true).subtractByKey(other.map(_with_true), numPartitions).keys()

    def intersection(self: RDD[T], other: RDD[T]) -> RDD[T]:
        grouped = _group_by_input([self.map(_with_none), other.map(_with_none)], None, "intersection")
        return grouped.filter(lambda key_buffers: all(key_buffers[1])).keys()


def _as_results(buffers: list) -> tuple:
    return tuple(ResultIterable(values) for values in buffers)


def _with_true(record) -> tuple:
    return record, True


def _with_none(record) -> tuple:
    return record, None
