"""Read-only snapshots of a running job for monitors (a web UI, metrics, the console line).

Listener events say what each batch did; these say what the job holds now, which no event
carries: each executor worker's task count and time and the pool's shared-memory bytes, the
keys and bytes of each stateful stream's latest state, and each input stream's last read
positions and receiver restarts.  They only read: a monitor calling them from its own thread
never changes the job, and a figure that is not known is ``None``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from ember.executor.base import WorkerStatus
from ember.streaming.kept_state import KeptStateRDD
from ember.streaming.materialize import CachedRDD

if TYPE_CHECKING:
    from ember.context import SparkContext
    from ember.rdd import RDD
    from ember.streaming.context import StreamingContext
    from ember.streaming.dstream import DStream


@dataclass(frozen=True)
class ExecutorStatus:
    """The executor's workers and the shared-memory bytes of its blocks (None when it has none)."""

    master: str
    workers: list[WorkerStatus]
    shm_bytes: int | None


@dataclass(frozen=True)
class StateStatus:
    """The latest computed state of one stateful stream (updateStateByKey, mapWithState,
    reduceByKeyAndWindow with an inverse function): its batch time, its keys, and the bytes of
    its newest encoded state (written at checkpoint times; None before the first)."""

    stream_id: int
    description: str
    batch_time_ms: int
    keys: int
    bytes: int | None


@dataclass(frozen=True)
class SourceStatus:
    """One input stream: ``kind`` is ``receiver``, ``direct`` (a replayable source) or ``queue``.

    ``positions`` maps each partition of a replayable source to the end of the range its
    latest batch read (``positions_batch_ms``); receivers have ``active`` and ``restarts``.
    """

    stream_id: int
    name: str
    kind: str
    positions: dict[str, Any] = field(default_factory=dict)
    positions_batch_ms: int | None = None
    active: bool | None = None
    restarts: int | None = None


def batch_interval_ms(ssc: StreamingContext) -> int:
    """The context's batch interval in milliseconds (its ``batchDuration``)."""
    return ssc.batch_ms


def executor_status(sc: SparkContext) -> ExecutorStatus:
    executor = sc.executor
    return ExecutorStatus(sc.master, executor.worker_status(), executor.shm_bytes())


def source_status(ssc: StreamingContext) -> list[SourceStatus]:
    return [_source(stream) for stream in list(ssc.graph.inputs)]


def _source(stream) -> SourceStatus:
    if stream.kind == "receiver":
        return SourceStatus(
            stream.id,
            stream.receiver.name(),
            "receiver",
            active=stream.tracker.active,
            restarts=stream.tracker.restarts,
        )
    if stream.kind == "direct":
        recorded = dict(stream.recorded)
        if not recorded:
            return SourceStatus(stream.id, stream.description, "direct")
        latest = max(recorded)
        return SourceStatus(
            stream.id, stream.description, "direct", {r.partition: r.end for r in recorded[latest]}, latest
        )
    return SourceStatus(stream.id, f"{type(stream).__name__}[{stream.id}]", stream.kind)


class _StateSizes:
    """Counts the keys of a state RDD once: its blocks are immutable once materialized.  Only
    the newest ``KEPT`` RDDs' sizes are remembered (older states are never asked for again)."""

    KEPT = 64

    def __init__(self):
        self._by_rdd: dict[int, tuple[int, int | None]] = {}
        self._lock = threading.Lock()

    def measure(self, stream: DStream, rdd: CachedRDD) -> tuple[int, int | None] | None:
        with self._lock:
            if rdd.id() in self._by_rdd:
                return self._by_rdd[rdd.id()]
        executor = rdd.ctx.executor
        keys = 0
        size: int | None = 0
        try:
            for split in range(rdd.getNumPartitions()):
                block_id = rdd.cache_block_id(split)
                records = executor.get_block(block_id)
                # mapWithState keeps one record per partition: (key -> (state, time), mapped)
                keys += (
                    sum(len(r[0]) for r in records) if stream.kind == "mapWithState-state" else len(records)
                )
                block_size = executor.block_bytes(block_id)
                size = None if size is None or block_size is None else size + block_size
        except KeyError:  # the batch was forgotten while we read it
            return None
        with self._lock:
            self._by_rdd[rdd.id()] = (keys, size)
            for old in sorted(self._by_rdd)[: -self.KEPT]:
                del self._by_rdd[old]
        return keys, size


_state_sizes = _StateSizes()


def _newest_states(ssc: StreamingContext) -> Iterator[tuple[DStream, list[tuple[int, RDD]]]]:
    """Each stateful stream with its computed state RDDs, newest first: those encoded at a
    checkpoint time (cached and cut) and those kept in the workers' memory."""
    for stream in list(ssc.graph.streams()):
        if stream.must_checkpoint:
            computed = [
                (t, rdd)
                for t, rdd in stream.generated()
                if isinstance(rdd, CachedRDD)
                or (isinstance(rdd, KeptStateRDD) and rdd.kept_keys() is not None)
            ]
            yield stream, sorted(computed, key=lambda item: item[0], reverse=True)


def _encoded_bytes(states: list[tuple[int, RDD]]) -> int | None:
    """The stored bytes of the newest encoded state among ``states``; None when none is."""
    for _, rdd in states:
        if isinstance(rdd, CachedRDD):
            executor = rdd.ctx.executor
            return sum(
                executor.block_bytes(rdd.cache_block_id(split)) or 0
                for split in range(rdd.getNumPartitions())
            )
    return None


def state_status(ssc: StreamingContext) -> list[StateStatus]:
    """Each stateful stream's newest state: its keys (as the tasks that computed it reported
    them, or read once from its encoded blocks) and the bytes of the newest encoded state."""
    found = []
    for stream, states in _newest_states(ssc):
        for time_ms, rdd in states:
            if isinstance(rdd, CachedRDD):
                measured = _state_sizes.measure(stream, rdd)
            else:
                keys = cast(KeptStateRDD, rdd).kept_keys()
                measured = None if keys is None else (keys, _encoded_bytes(states))
            if measured is not None:
                found.append(StateStatus(stream.id, stream.describe(), time_ms, *measured))
                break
    return found


def state_bytes(ssc: StreamingContext) -> int:
    """The stored bytes of every stateful stream's newest encoded state, without reading the
    state (cheap enough for every batch: the console status line)."""
    return sum(_encoded_bytes(states) or 0 for _, states in _newest_states(ssc))
