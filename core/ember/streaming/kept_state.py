"""State kept where it is computed: the RDD behind every stateful stream (updateStateByKey,
mapWithState, reduceByKeyAndWindow with an inverse function).

Partition i of a batch's state is one object (a dict, mostly) computed from partition i of the
previous batch's state and partition i of the batch's inputs.  It stays in the memory of the
worker that computed it (a local block, ``TaskContext.keep_local``), and the next batch's task
for partition i runs there (``Task.prefers``, as Spark prefers a cached block's location) and
takes it as it is, never encoded.  Only at the stream's checkpoint times is the state also
stored encoded in the block store (persisted; the checkpoint writes it and the scheduler cuts
its lineage).  When a worker is lost, and its memory with it, a task elsewhere computes the
previous state again from its lineage: the last encoded state and the inputs since.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from ember.accumulators import AccumulatorParam
from ember.rdd import RDD
from ember.rdd.partitioner import Partitioner
from ember.rdd.rdd import _drop_blocks
from ember.storagelevel import StorageLevel
from ember.streaming.dstream import DStream

#: built-in containers a user function may change in place
_CONTAINERS = frozenset({list, dict, set, bytearray})


def fresh(value: Any) -> Any:
    """A kept state's value as a user function may get it: a (shallow) copy when it is a
    built-in container, so that changing it in place changes neither the kept state nor an
    output record that shares it (in PySpark every batch decodes the state anew)."""
    return value.copy() if type(value) in _CONTAINERS else value


def kept_block_id(rdd: RDD, split: int) -> str:
    """The local block that keeps partition ``split`` of ``rdd`` (its id outlives a cut)."""
    return f"state/{rdd.id()}/{split}"


class _KeysByPartition(AccumulatorParam[dict]):
    """Partition -> how many keys its state holds (a partition computed again reports again)."""

    def zero(self, value: dict) -> dict:
        return {}

    def addInPlace(self, value1: dict, value2: dict) -> dict:
        return {**value1, **value2}  # a new dict: monitors read the driver's while it changes


_KEYS_BY_PARTITION = _KeysByPartition()


class InputPartition:
    """One partition of a state's input, read (or computed) each time it is iterated: an
    update that has an input's records at hand already (a window keeps its batches) never
    reads it."""

    def __init__(self, rdd: RDD, split: int, context):
        self.rdd, self.split, self.context = rdd, split, context

    def __iter__(self) -> Iterator:
        return iter(self.rdd.iterator(self.split, self.context))


class KeptStateRDD(RDD):
    """One batch's state: ``update(previous state, *inputs)`` makes partition i's state object
    from the previous one (which it must not change: build a new one) and partition i of each
    input RDD (an ``InputPartition`` each).  By default a state object is a dict of its
    (key, value) records; subclasses with another shape say how the two convert and count keys.

    Each task that computes a partition reports its number of keys back with its result (an
    accumulator), so monitoring knows every batch's state size without reading the state,
    which is encoded only at checkpoint times."""

    def __init__(
        self,
        previous: RDD | None,
        inputs: Sequence[RDD],
        update: Callable[..., Any],
        num_partitions: int,
        partitioner: Partitioner | None,
    ):
        if any(rdd.getNumPartitions() != num_partitions for rdd in inputs):
            raise ValueError(f"a state of {num_partitions} partitions needs inputs of as many")
        super().__init__(inputs[0].ctx, num_partitions, partitioner)
        self.previous = previous
        self.inputs = list(inputs)
        self._keys = self.ctx.accumulator({}, _KEYS_BY_PARTITION)
        self.update = update
        # kept blocks normally go when the next batch's state supersedes them; this catches those
        # computed again later (an old state read after its successor was computed)
        weakref.finalize(self, _drop_blocks, self.ctx.executor, f"state/{self._id}/")

    @staticmethod
    def as_records(state: Any) -> Iterator:
        return iter(state.items())

    @staticmethod
    def from_records(records: Iterable) -> Any:
        return dict(records)

    @staticmethod
    def keys_of(state: Any) -> int:
        return len(state)

    def kept_keys(self) -> int | None:
        """The keys of this state, once every partition was computed (else None)."""
        counts = self._keys.value
        return sum(counts.values()) if len(counts) == self.getNumPartitions() else None

    def dependencies(self) -> list[RDD]:
        return ([self.previous] if self.previous is not None else []) + self.inputs

    def local_blocks(self, split: int) -> tuple[str, ...]:
        own = kept_block_id(self, split)
        return (own,) if self.previous is None else (own, kept_block_id(self.previous, split))

    def compute(self, split, context) -> Iterator:
        return self.as_records(self.state(split, context))

    def state(self, split: int, context) -> Any:
        """Partition ``split``'s state object: kept here, or computed (and kept)."""
        own = kept_block_id(self, split)
        try:
            return context.local_block(own)
        except KeyError:
            pass
        previous = self._previous_state(split, context)
        try:
            state = self.update(previous, *(InputPartition(rdd, split, context) for rdd in self.inputs))
        except BaseException:
            self._drop_previous(split, context)  # a function may have changed it part way
            raise
        context.keep_local(own, state)
        self._drop_previous(split, context)  # superseded: this one follows it
        self._keys.add({split: self.keys_of(state)})
        return state

    def _previous_state(self, split: int, context) -> Any:
        """The previous batch's state of ``split``: from this process's memory when it is here,
        else from its records (encoded, or computed again from its lineage)."""
        if self.previous is None:
            return self.from_records(())
        try:
            return context.local_block(kept_block_id(self.previous, split))
        except KeyError:
            return self.from_records(self.previous.iterator(split, context))

    def _drop_previous(self, split: int, context) -> None:
        if self.previous is not None:
            context.drop_local(kept_block_id(self.previous, split))


class KeptStateDStream(DStream):
    """A stateful stream whose RDDs are ``KeptStateRDD``s: already in memory, they are stored
    encoded only at the stream's checkpoint times, whatever storage level it was given."""

    must_checkpoint = True

    def persist(self, storageLevel: StorageLevel) -> KeptStateDStream:
        """Accepted, as in Spark, but the state needs no storing between checkpoints."""
        self._ssc._graph.check_not_started("Changing the storage level of a DStream")
        return self

    def is_checkpoint_time(self, time_ms: int) -> bool:
        return (time_ms - self.initialized_zero_ms()) % (self.checkpoint_ms or self.slide_ms) == 0

    def stored_at_checkpoints(self, state: RDD, time_ms: int) -> RDD:
        """``state``, persisted when ``time_ms`` is a checkpoint time (encoded for the
        checkpoint, then cut from its lineage by the scheduler)."""
        if self.is_checkpoint_time(time_ms):
            state.persist(StorageLevel.MEMORY_ONLY)
        return state
