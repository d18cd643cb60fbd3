"""Window operations: each builds on ``window`` or on the incremental reduced window.

Durations are seconds, validated as whole multiples of the parent's slide in integer
milliseconds (``window_streams.py``).  The compositions follow PySpark's so that results,
keys kept with value 0, and partition counts are the same.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import TYPE_CHECKING

from ember.resultiterable import ResultIterable

if TYPE_CHECKING:
    from ember.streaming.dstream import DStream


class WindowOpsMixin:
    def window(self, windowDuration, slideDuration=None) -> DStream:
        """Each RDD holds the batches of the last ``windowDuration``, every ``slideDuration``."""
        from ember.streaming.window_streams import WindowedDStream

        return WindowedDStream(self, windowDuration, slideDuration)

    def reduceByKeyAndWindow(
        self,
        func: Callable,
        invFunc: Callable | None,
        windowDuration,
        slideDuration=None,
        numPartitions: int | None = None,
        filterFunc: Callable | None = None,
    ) -> DStream:
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
        self, reduceFunc: Callable, invReduceFunc: Callable | None, windowDuration, slideDuration
    ) -> DStream:
        keyed = self.map(lambda x: (1, x))
        reduced = keyed.reduceByKeyAndWindow(reduceFunc, invReduceFunc, windowDuration, slideDuration, 1)
        return reduced.map(lambda kv: kv[1])

    def countByWindow(self, windowDuration, slideDuration) -> DStream:
        return self.map(lambda x: 1).reduceByWindow(operator.add, operator.sub, windowDuration, slideDuration)

    def countByValueAndWindow(
        self, windowDuration, slideDuration, numPartitions: int | None = None
    ) -> DStream:
        keyed = self.map(lambda x: (x, 1))
        counted = keyed.reduceByKeyAndWindow(
            operator.add, operator.sub, windowDuration, slideDuration, numPartitions
        )
        return counted.filter(lambda kv: kv[1] > 0)

    def groupByKeyAndWindow(self, windowDuration, slideDuration, numPartitions: int | None = None) -> DStream:
        lists = self.mapValues(lambda value: [value])
        grouped = lists.reduceByKeyAndWindow(
            _extend, _drop_front, windowDuration, slideDuration, numPartitions
        )
        return grouped.mapValues(ResultIterable)


def _extend(values: list, more: list) -> list:
    values.extend(more)
    return values


def _drop_front(values: list, leaving: list) -> list:
    return values[len(leaving) :]
