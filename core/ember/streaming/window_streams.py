"""Window streams: the union of a parent's batches over a window, and the incremental
reduce-by-key window that adds entering batches and takes out leaving ones.

A window of W at time t covers the parent's batches in (t - W, t]; the first windows after the
start are partial because there are no batches before the zero time.
"""

from __future__ import annotations

from collections.abc import Callable

from ember.rdd import RDD
from ember.storagelevel import StorageLevel
from ember.streaming.dstream import DStream
from ember.streaming.durations import require_multiple, to_ms

#: Spark reduces the whole window again, rather than applying invFunc, for windows shorter
#: than this many slides ("for small window, reduce once will be better than twice")
INVERSE_MIN_SLIDES = 5


def window_durations(parent: DStream, window_seconds, slide_seconds) -> tuple[int, int]:
    """Window and slide in milliseconds, checked against the parent's slide."""
    window_ms = to_ms(window_seconds, "windowDuration")
    slide_ms = parent.slide_ms if slide_seconds is None else to_ms(slide_seconds, "slideDuration")
    stream = f"the window on {parent.describe()}"
    require_multiple(window_ms, parent.slide_ms, "window duration", stream)
    require_multiple(slide_ms, parent.slide_ms, "slide duration", stream)
    return window_ms, slide_ms


class WindowedDStream(DStream):
    """``window(W, S)``: every S, the union of the parent's RDDs of the last W."""

    kind = "window"

    def __init__(self, parent: DStream, window_seconds, slide_seconds=None):
        window_ms, slide_ms = window_durations(parent, window_seconds, slide_seconds)
        super().__init__(parent._ssc, [parent], slide_ms=slide_ms)
        self.window_ms = window_ms
        # the parent's RDDs are read by several windows: keep them instead of recomputing
        parent.persist(StorageLevel.MEMORY_ONLY)

    def parent_remember_ms(self) -> int:
        return self.remember_ms + self.window_ms

    def compute(self, time_ms: int) -> RDD:
        parent = self.parents[0]
        return self._sc.union(parent._slice_ms(time_ms - self.window_ms + parent.slide_ms, time_ms))


class ReducedWindowedDStream(DStream):
    """``reduceByKeyAndWindow`` with an inverse function, over an already reduced parent.

    Once the window spans ``INVERSE_MIN_SLIDES`` slides and the previous window's RDD exists,
    the new window is ``func(invFunc(previous, leaving batches), entering batches)``; keys are
    then kept or dropped by ``filterFunc``.  Otherwise the window is reduced from its batches.
    """

    kind = "reducedWindow"
    must_checkpoint = True

    def __init__(
        self,
        parent: DStream,
        func: Callable,
        inv_func: Callable,
        window_seconds,
        slide_seconds,
        num_partitions: int,
        filter_func: Callable | None,
    ):
        window_ms, slide_ms = window_durations(parent, window_seconds, slide_seconds)
        super().__init__(parent._ssc, [parent], slide_ms=slide_ms)
        self.window_ms = window_ms
        self.func = func
        self.inv_func = inv_func
        self.num_partitions = num_partitions
        self.filter_func = filter_func
        self._storage_level = StorageLevel.MEMORY_ONLY
        parent.persist(StorageLevel.MEMORY_ONLY)  # its batches are read again when they leave

    def parent_remember_ms(self) -> int:
        return self.remember_ms + self.window_ms

    def compute(self, time_ms: int) -> RDD | None:
        parent = self.parents[0]
        window_start = time_ms - self.window_ms
        previous = self.get_or_compute(time_ms - self.slide_ms)
        if previous is not None and self.window_ms >= self.slide_ms * INVERSE_MIN_SLIDES:
            leaving = parent._slice_ms(window_start - self.slide_ms + parent.slide_ms, window_start)
            current = self._subtract(previous, self._sc.union(leaving)) if leaving else previous
            entering = parent._slice_ms(time_ms - self.slide_ms + parent.slide_ms, time_ms)
            return self._add(current, self._sc.union(entering)) if entering else current
        batches = parent._slice_ms(window_start + parent.slide_ms, time_ms)
        return self._add(None, self._sc.union(batches)) if batches else None

    def _add(self, window: RDD | None, entering: RDD) -> RDD:
        func, count = self.func, self.num_partitions
        reduced = entering.reduceByKey(func, count)
        if window is not None:
            reduced = window.union(reduced).reduceByKey(func, count)
        return reduced.filter(self.filter_func) if self.filter_func else reduced

    def _subtract(self, window: RDD, leaving: RDD) -> RDD:
        inv_func = self.inv_func
        leaving = leaving.reduceByKey(self.func, self.num_partitions)
        joined = window.leftOuterJoin(leaving, self.num_partitions)
        return joined.mapValues(lambda pair: pair[0] if pair[1] is None else inv_func(pair[0], pair[1]))
