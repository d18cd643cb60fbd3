"""Window streams: the union of a parent's batches over a window, and the incremental
reduce-by-key window that adds entering batches and takes out leaving ones where the previous
window is kept.

A window of W at time t covers the parent's batches in (t - W, t]; the first windows after the
start are partial because there are no batches before the zero time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import NamedTuple

from ember.rdd import RDD
from ember.rdd.partitioner import Partitioner
from ember.serde.codec import decode_pairs, encode_block, pair_columns
from ember.serde.hashing import portable_hash
from ember.storagelevel import StorageLevel
from ember.streaming.dstream import DStream
from ember.streaming.durations import require_multiple, to_ms
from ember.streaming.kept_state import KeptStateDStream, KeptStateRDD, fresh

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
    window_ms: int

    def __init__(self, parent: DStream, window_seconds, slide_seconds=None):
        window_ms, slide_ms = window_durations(parent, window_seconds, slide_seconds)
        super().__init__(parent._ssc, [parent], slide_ms=slide_ms)
        self.window_ms = window_ms
        # the parent's RDDs are read by several windows: keep them instead of recomputing
        parent.persist(StorageLevel.MEMORY_ONLY)

    def parent_remember_ms(self) -> int:
        return super().parent_remember_ms() + self.window_ms

    def compute(self, time_ms: int) -> RDD:
        """The union of the window's RDDs; an empty RDD of no partition when the parent has
        none in the window (Spark's window always gives an RDD)."""
        parent = self.parents[0]
        rdds = parent._slice_ms(time_ms - self.window_ms + parent.slide_ms, time_ms)
        return self._sc.union(rdds) if rdds else self._sc.emptyRDD()


class ReducedWindowedDStream(KeptStateDStream):
    """``reduceByKeyAndWindow`` with an inverse function, over an already reduced parent.

    Once the window spans ``INVERSE_MIN_SLIDES`` slides, each window is kept where it is
    computed (``kept_state``) and the next one is made from it there, as
    ``func(invFunc(previous, leaving batches), entering batches)``; keys are then kept or
    dropped by ``filterFunc``.  Shorter windows are reduced from their batches every time.
    """

    kind = "reducedWindow"
    window_ms: int

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
        self.partitioner = Partitioner(num_partitions, portable_hash)
        if self._reduces_every_time:
            parent.persist(StorageLevel.MEMORY_ONLY)  # each batch is read by several windows
        # else the kept window keeps its batches beside it (``KeptWindow``)

    @property
    def _reduces_every_time(self) -> bool:
        return self.window_ms < self.slide_ms * INVERSE_MIN_SLIDES

    def parent_remember_ms(self) -> int:
        return super().parent_remember_ms() + self.window_ms

    def compute(self, time_ms: int) -> RDD | None:
        parent = self.parents[0]
        window_start = time_ms - self.window_ms
        if self._reduces_every_time:
            batches = parent._slice_ms(window_start + parent.slide_ms, time_ms)
            return self._reduced(batches).persist(StorageLevel.MEMORY_ONLY) if batches else None
        previous = self.get_or_compute(time_ms - self.slide_ms)
        if previous is None:
            leaving = []
            entering = parent._slice_ms(window_start + parent.slide_ms, time_ms)
        else:
            leaving = parent._slice_ms(window_start - self.slide_ms + parent.slide_ms, window_start)
            entering = parent._slice_ms(time_ms - self.slide_ms + parent.slide_ms, time_ms)
        if not leaving and not entering:
            return previous
        update = WindowUpdate(
            self.func, self.inv_func, self.filter_func, [b.id() for b in leaving], [b.id() for b in entering]
        )
        # the parent is reduceByKey(func, num_partitions): a batch's partition i holds one value
        # per key, for the keys hashed to i, as the window's partition i does
        window = KeptWindowRDD(previous, leaving + entering, update, self.num_partitions, self.partitioner)
        return self.stored_at_checkpoints(window, time_ms)

    def _reduced(self, batches: list[RDD]) -> RDD:
        reduced = self._sc.union(batches).reduceByKey(self.func, self.num_partitions)
        return reduced.filter(self.filter_func) if self.filter_func else reduced


class KeptWindow(NamedTuple):
    """One partition of a window as its worker keeps it: the window's (key, value) records,
    and the parent's batches it covers (by RDD id, each its (key, value) pairs, one per key,
    encoded: a tenth of their size as objects), kept so that a batch's values are at hand
    when it leaves, never read from the block store or computed again.

    Only the records are what the state stores (at checkpoint times, and for any other
    reader): a window rebuilt from them keeps no batches, and reads each batch that leaves
    from the parent."""

    values: dict
    batches: dict[int, bytes]


class KeptWindowRDD(KeptStateRDD):
    """A window's RDD: its state objects are ``KeptWindow``s."""

    @staticmethod
    def as_records(state: KeptWindow) -> Iterator:
        return iter(state.values.items())

    @staticmethod
    def from_records(records: Iterable) -> KeptWindow:
        return KeptWindow(dict(records), {})

    @staticmethod
    def keys_of(state: KeptWindow) -> int:
        return len(state.values)


class WindowUpdate:
    """Makes one partition of the next window from the previous one (runs inside a task), as
    Spark's cogroup of the window with the leaving and entering batches would: the leaving and
    the entering batches are each reduced with ``func`` (in batch order), then a key of the
    window gets ``inv_func(value, leaving)`` and then ``func(value, entering)``, a new key its
    entering value (after the window's keys, in the order first seen); with entering batches,
    ``filter_func`` decides which keys stay.

    ``leaving`` and ``entering`` are the ids of the parent's RDDs that leave and enter: a
    leaving batch the window kept is taken from it, else read from its partition."""

    def __init__(
        self,
        func: Callable,
        inv_func: Callable,
        filter_func: Callable | None,
        leaving: Sequence[int],
        entering: Sequence[int],
    ):
        self.func, self.inv_func, self.filter_func = func, inv_func, filter_func
        self.leaving, self.entering = tuple(leaving), tuple(entering)

    def __call__(self, previous: KeptWindow, *batches: Iterable) -> KeptWindow:
        window = dict(previous.values)
        kept = dict(previous.batches)
        leaving = [_take(kept, rdd_id, batch) for rdd_id, batch in zip(self.leaving, batches)]
        inv_func, func = self.inv_func, self.func
        for key, value in self._reduced(leaving):
            if key in window:
                window[key] = inv_func(fresh(window[key]), value)
        if not self.entering:
            return KeptWindow(window, kept)
        entering = [pair_columns(batch) for batch in batches[len(self.leaving) :]]
        for rdd_id, columns in zip(self.entering, entering):
            kept[rdd_id] = encode_block(columns, "keeping a batch beside its window")
        for key, value in self._reduced(entering):
            window[key] = func(fresh(window[key]), value) if key in window else value
        keep = self.filter_func
        return KeptWindow(dict(filter(keep, window.items())) if keep else window, kept)

    def _reduced(self, batches: Sequence[Iterable]) -> Iterable:
        """One (key, value) pair per key of ``batches``, values reduced in batch order (the
        batches are their own: decoded, or computed for this task)."""
        if len(batches) == 1:
            return batches[0]
        reduced: dict = {}
        func = self.func
        for batch in batches:
            for key, value in batch:
                reduced[key] = func(reduced[key], value) if key in reduced else value
        return reduced.items()


def _take(kept: dict[int, bytes], rdd_id: int, batch: Iterable) -> Iterable:
    """The pairs of leaving batch ``rdd_id``, to be iterated once: as the window kept them,
    else read from its partition."""
    taken = kept.pop(rdd_id, None)
    return batch if taken is None else decode_pairs(taken)
