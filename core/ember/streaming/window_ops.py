"""Window operations: each builds on ``window`` or on the incremental reduced window.

Durations are seconds, validated as whole multiples of the parent's slide in integer
milliseconds (``window_streams.py``).  The compositions follow PySpark's so that results,
keys kept with value 0, and partition counts are the same.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ember._typing import K, T, V
from ember.resultiterable import ResultIterable

if TYPE_CHECKING:
    from ember.streaming.dstream import DStream


class WindowOpsMixin:
    # durations are seconds, as in PySpark (``float`` takes ints too)
    def window(self: DStream[T], windowDuration: float, slideDuration: float | None = None) -> DStream[T]:
        """Each RDD holds the batches of the last ``windowDuration``, every ``slideDuration``."""
        from ember.streaming.window_streams import WindowedDStream

        return WindowedDStream(self, windowDuration, slideDuration)

    def reduceByKeyAndWindow(
        self: DStream[tuple[K, V]],
        func: Callable[[V, V], V],
        invFunc: Callable[[V, V], V] | None,
        windowDuration: float,
        slideDuration: float | None = None,
        numPartitions: int | None = None,
        filterFunc: Callable[[tuple[K, V]], bool] | None = None,
    ) -> DStream[tuple[K, V]]:
        """Reduce values by key over a window.

        With ``invFunc`` the window is updated incrementally, as
        ``func(invFunc(previous, leaving), entering)``, once it spans at least 5 slides (as
        Spark does); ``filterFunc`` then decides which keys stay.
        """
        from ember.streaming.window_streams import ReducedWindowedDStream, window_durations

        window_durations(self, windowDuration, slideDuration)
        count = self._partitions(numPartitions)
        reduced = self.reduceByKey(func, count)
        if not invFunc:
            return reduced.window(windowDuration, slideDuration).reduceByKey(func, count)
        return ReducedWindowedDStream(
            reduced, func, invFunc, windowDuration, slideDuration, count, filterFunc
        )

    def reduceByWindow(
        self: DStream[T],
        reduceFunc: Callable[[T, T], T],
        invReduceFunc: Callable[[T, T], T] | None,
        windowDuration: float,
        slideDuration: float,
    ) -> DStream[T]:
        keyed = self.map(lambda x: (1, x))
        reduced = keyed.reduceByKeyAndWindow(reduceFunc, invReduceFunc, windowDuration, slideDuration, 1)
        return reduced.map(lambda kv: kv[1])

    def countByWindow(self: DStream[Any], windowDuration: float, slideDuration: float) -> DStream[int]:
        return self.map(lambda x: 1).reduceByWindow(operator.add, operator.sub, windowDuration, slideDuration)

    def countByValueAndWindow(
        self: DStream[K], windowDuration: float, slideDuration: float, numPartitions: int | None = None
    ) -> DStream[tuple[K, int]]:
        keyed = self.map(lambda x: (x, 1))
        counted = keyed.reduceByKeyAndWindow(
            operator.add, operator.sub, windowDuration, slideDuration, numPartitions
        )
        return counted.filter(lambda kv: kv[1] > 0)

    def groupByKeyAndWindow(
        self: DStream[tuple[K, V]],
        windowDuration: float,
        slideDuration: float,
        numPartitions: int | None = None,
    ) -> DStream[tuple[K, ResultIterable[V]]]:
        lists = self.mapValues(lambda value: [value])
        grouped = lists.reduceByKeyAndWindow(
            _extend, _drop_front, windowDuration, slideDuration, numPartitions
        )
        return grouped.mapValues(ResultIterable)


def _extend(values: list[V], more: list[V]) -> list[V]:
    values.extend(more)
    return values


def _drop_front(values: list[V], leaving: list[V]) -> list[V]:
    return values[len(leaving) :]
