"""The DStream: a node of the streaming graph that yields one RDD per batch time.

Each DStream knows its parents, its kind, its slide (how often it yields an RDD) and, for
windows, its window, so the graph can be validated, remembered and fingerprinted without
running user code.  ``get_or_compute(time_ms)`` returns the RDD of a batch, computing it once
and keeping it while the stream must remember it.  The public methods (PySpark's names) come
from mixins, one per concept; the node kinds they build live beside them.
"""

from __future__ import annotations

import datetime
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, Literal

from ember._typing import T, T_co
from ember.rdd import RDD
from ember.rdd.lineage import ParallelCollectionRDD
from ember.storagelevel import StorageLevel
from ember.streaming.durations import datetime_to_ms, format_ms, ms_to_datetime, to_ms
from ember.streaming.output import OutputOpsMixin
from ember.streaming.pair_ops import PairOpsMixin
from ember.streaming.state_ops import StateOpsMixin
from ember.streaming.transformations import TransformationsMixin
from ember.streaming.window_ops import WindowOpsMixin

if TYPE_CHECKING:
    from ember.context import SparkContext
    from ember.streaming.context import StreamingContext


class DStream(
    TransformationsMixin, PairOpsMixin, WindowOpsMixin, StateOpsMixin, OutputOpsMixin, Generic[T_co]
):
    """Base of every DStream.  Subclasses define ``compute(time_ms) -> RDD | None``.

    Generic in its element type, as PySpark's ``DStream[T]``."""

    #: what the node is, for error messages and the graph's fingerprint
    kind = "dstream"
    #: stateful streams must have a checkpoint directory (Spark's ``mustCheckpoint``)
    must_checkpoint = False

    def __init__(
        self, ssc: StreamingContext, parents: list[DStream[Any]], slide_ms: int | None = None
    ) -> None:
        ssc._graph.check_not_started()
        self._ssc: StreamingContext = ssc
        self._sc: SparkContext = ssc.sparkContext
        self.parents = list(parents)
        self.slide_ms: int = slide_ms if slide_ms is not None else parents[0].slide_ms
        self.window_ms: int | None = None
        self.zero_ms: int | None = None
        self.remember_ms: int | None = None
        self.checkpoint_ms: int | None = None
        self._storage_level: StorageLevel | None = None
        self._generated: dict[int, RDD[Any]] = {}
        self.is_cached: bool = False
        self.is_checkpointed: bool = False
        self.id: int = ssc._graph.new_stream_id()

    def __repr__(self) -> str:
        return f"{type(self).__name__}[{self.id}]"

    # -- computing a batch ---------------------------------------------------------------
    def compute(self, time_ms: int) -> RDD[Any] | None:
        """The RDD of batch ``time_ms`` (called once per valid time)."""
        raise NotImplementedError

    def get_or_compute(self, time_ms: int) -> RDD[Any] | None:
        """The RDD for ``time_ms``, computed once; ``None`` when the time is not one of ours."""
        if time_ms in self._generated:
            return self._generated[time_ms]
        if not self._is_time_valid(time_ms):
            return None
        rdd = self.compute(time_ms)
        if rdd is None:
            return None
        if self._storage_level is not None:
            rdd.persist(self._storage_level)
        self._generated[time_ms] = rdd
        return rdd

    def _is_time_valid(self, time_ms: int) -> bool:
        zero_ms = self.initialized_zero_ms()
        return time_ms > zero_ms and (time_ms - zero_ms) % self.slide_ms == 0

    def initialized_zero_ms(self) -> int:
        """The zero time, which ``initialize`` sets when the context starts."""
        if self.zero_ms is None:
            raise RuntimeError(f"{self} has not been initialized: start the StreamingContext first")
        return self.zero_ms

    def _slice_ms(self, from_ms: int, to_ms_: int) -> list[RDD[Any]]:
        """RDDs of the batch times in [from, to] (aligned down to our slide), after zero."""
        first = self._align_down(from_ms)
        last = self._align_down(to_ms_)
        rdds = []
        for time_ms in range(first, last + 1, self.slide_ms):
            if time_ms > self.initialized_zero_ms():
                rdd = self.get_or_compute(time_ms)
                if rdd is not None:
                    rdds.append(rdd)
        return rdds

    def _align_down(self, time_ms: int) -> int:
        zero_ms = self.initialized_zero_ms()
        return zero_ms + (time_ms - zero_ms) // self.slide_ms * self.slide_ms

    # -- graph life cycle (called by the graph at start and after each batch) ---------------------
    def initialize(self, zero_ms: int) -> None:
        """Set the zero time and the default intervals, parents first."""
        if self.zero_ms is not None:
            return
        self.zero_ms = zero_ms
        if self.must_checkpoint and self.checkpoint_ms is None:
            # Spark's default: the smallest multiple of the slide that is at least 10 s
            self.checkpoint_ms = self.slide_ms * max(1, -(-10_000 // self.slide_ms))
        for parent in self.parents:
            parent.initialize(zero_ms)

    def remember(self, duration_ms: int | None) -> None:
        """Keep generated RDDs at least ``duration_ms``; parents keep what we need of them."""
        wanted = max(duration_ms or 0, self.slide_ms, 2 * self.checkpoint_ms if self.checkpoint_ms else 0)
        if self.remember_ms is not None and self.remember_ms >= wanted:
            return
        self.remember_ms = wanted
        for parent in self.parents:
            parent.remember(self.parent_remember_ms())

    def parent_remember_ms(self) -> int:
        """How long parents must keep RDDs for us (windows need their whole window)."""
        assert self.remember_ms is not None, "remember() sets it first"
        return self.remember_ms

    def clear_old(self, time_ms: int) -> None:
        """Forget RDDs older than the remember duration (and unpersist them)."""
        assert self.remember_ms is not None, "remember() runs at start"
        for old in [t for t in self._generated if t <= time_ms - self.remember_ms]:
            rdd = self._generated.pop(old)
            if rdd.is_cached:
                rdd.unpersist()
        for parent in self.parents:
            parent.clear_old(time_ms)

    def describe(self) -> str:
        """The stream for people: kind, slide and window."""
        window = f", window {format_ms(self.window_ms)}" if self.window_ms else ""
        return f"{self.kind} stream #{self.id} (slide {format_ms(self.slide_ms)}{window})"

    # -- what checkpoints save and restore (``ember.checkpoint`` uses only these) ---------------
    #: whether the stream runs a receiver, whose stores a write-ahead log can record
    has_receiver = False

    def generated(self) -> list[tuple[int, RDD[Any]]]:
        """The RDDs remembered now, by batch time (a copy: monitors read it from their threads)."""
        return list(self._generated.items())

    def state_at(self, time_ms: int) -> RDD[Any] | None:
        """The RDD generated for ``time_ms`` while remembered: a stateful stream's state."""
        return self._generated.get(time_ms)

    def restore_state(self, time_ms: int, partitions: list[list[Any]]) -> None:
        """Put back a stateful stream's state of ``time_ms`` from a checkpoint, before start."""
        self._generated[time_ms] = ParallelCollectionRDD(self._sc, partitions)

    def checkpoint_data(self, completed_ms: int) -> tuple[dict[str, Any], list[int]]:
        """What a checkpoint after the batch at ``completed_ms`` saves for this stream (plain
        data, e.g. a source's positions), and the later batch times the stream has already
        allocated input to (they run again after a recovery).  Both from one snapshot."""
        return {}, []

    def restore_checkpoint_data(self, data: dict[str, Any]) -> None:
        """Take back what ``checkpoint_data`` saved (before start)."""

    def validate_checkpoint_data(self, data: dict[str, Any]) -> None:
        """Raise ``ValueError`` when ``data`` (from a checkpoint, which may have been edited)
        is not what this stream could have saved; recovery then falls back."""

    # -- PySpark's DStream attributes ------------------------------------------------------
    def context(self) -> StreamingContext:
        return self._ssc

    @property
    def _slideDuration(self) -> float:
        return self.slide_ms / 1000.0

    def cache(self: DStream[T]) -> DStream[T]:
        self.is_cached = True
        return self.persist(StorageLevel.MEMORY_ONLY)

    def persist(self: DStream[T], storageLevel: StorageLevel) -> DStream[T]:
        self._ssc._graph.check_not_started("Changing the storage level of a DStream")
        self._storage_level = storageLevel
        return self

    def checkpoint(self: DStream[T], interval: float) -> DStream[T]:
        """Checkpoint this stream's RDDs every ``interval`` seconds (a multiple of the slide)."""
        self._ssc._graph.check_not_started("Changing the checkpoint interval of a DStream")
        millis = to_ms(interval, "checkpoint interval")
        if millis % self.slide_ms:
            raise ValueError(
                f"The checkpoint interval of {self.describe()} ({format_ms(millis)}) must be a "
                f"multiple of its slide duration ({format_ms(self.slide_ms)})"
            )
        self.is_checkpointed = True
        self.checkpoint_ms = millis
        self.persist(StorageLevel.MEMORY_ONLY)
        return self

    def slice(
        self: DStream[T], begin: datetime.datetime | float, end: datetime.datetime | float
    ) -> list[RDD[T]]:
        """The RDDs of this stream's batches from ``begin`` to ``end`` (datetimes or seconds)."""
        if self.zero_ms is None:
            raise RuntimeError(
                f"{self.describe()} has not been initialized: start the StreamingContext first"
            )
        return self._slice_ms(datetime_to_ms(begin), datetime_to_ms(end))


class TransformedDStream(DStream[T_co]):
    """An RDD function over the parents' RDDs of the same batch (every narrow and keyed op).

    A parent may have no RDD for a batch (its ``transform`` function returned None).  What
    then follows Spark's stream of the same operation (``missing``): ``"skip"``, no RDD either
    (one parent: ``transform``, ``map``...); ``"empty"``, the function gets an empty RDD of no
    partition in its place (``transformWith``, and ``union``, ``join``, ``cogroup``... made
    of it); ``"fail"``, the batch fails saying which parent (``ssc.union``, ``ssc.transform``).
    """

    kind = "transformed"

    def __init__(
        self,
        parents: list[DStream[Any]],
        func: Callable[..., RDD[Any] | None],
        kind: str | None = None,
        missing: Literal["skip", "empty", "fail"] = "skip",
    ):
        """``func(time_ms, *rdds) -> RDD``."""
        super().__init__(parents[0]._ssc, parents)
        self.func = func
        self.missing = missing
        if kind:
            self.kind = kind

    def compute(self, time_ms: int) -> RDD[Any] | None:
        rdds = [parent.get_or_compute(time_ms) for parent in self.parents]
        if self.missing == "empty":
            rdds = [self._sc.emptyRDD() if rdd is None else rdd for rdd in rdds]
        elif None in rdds:
            if self.missing == "skip":
                return None
            parent = self.parents[rdds.index(None)]
            raise ValueError(
                f"{self.describe()} got no RDD of its parent {parent.describe()} for the batch "
                f"at {time_ms} ms (a transform function returned None; return an empty RDD, "
                "sc.emptyRDD(), instead)"
            )
        result = self.func(time_ms, *rdds)
        if result is not None and not isinstance(result, RDD):
            raise TypeError(
                f"the function of {self.describe()} returned {type(result).__name__} "
                f"{result!r:.80}, but it must return an RDD"
            )
        return result


def with_time(func: Callable[..., Any], rdd_count: int, what: str) -> Callable[..., Any]:
    """Accept PySpark's two shapes, ``f(*rdds)`` and ``f(time, *rdds)``; return ``g(time_ms, *rdds)``.

    The time is passed as PySpark passes it: a ``datetime`` of the batch time.
    """
    if not callable(func):
        raise TypeError(f"{what} expects a function, got {type(func).__name__} {func!r}")
    arity = positional_arity(func)
    if arity == rdd_count or arity is None:
        return lambda time_ms, *rdds: func(*rdds)
    if arity == rdd_count + 1:
        return lambda time_ms, *rdds: func(ms_to_datetime(time_ms), *rdds)
    raise TypeError(
        f"{what} expects a function of {rdd_count} or {rdd_count + 1} arguments "
        f"(the RDD{'s' if rdd_count > 1 else ''}, optionally preceded by the time), "
        f"but {getattr(func, '__name__', func)!r} takes {arity}"
    )


def positional_arity(func: Callable[..., Any]) -> int | None:
    """How many positional arguments ``func`` takes (PySpark looks at ``co_argcount``);
    None when it takes any number (``*args``) or Python cannot tell."""
    code = getattr(func, "__code__", None)
    if code is not None and not inspect.ismethod(func):
        return None if code.co_flags & inspect.CO_VARARGS else code.co_argcount
    try:
        parameters = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind == p.VAR_POSITIONAL for p in parameters):
        return None
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in parameters)
