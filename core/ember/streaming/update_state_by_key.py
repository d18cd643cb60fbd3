"""updateStateByKey's stream: each batch's state is computed from the previous state and
the batch's new values, so it must be checkpointed (Spark's StateDStream).

The state stays where it is computed: partition i of a batch's state is a dict kept in the
memory of the worker that computed it (a local block), and the next batch's task for
partition i runs there (``Task.prefers``), updating it with the new values of the keys hashed
to i, never encoding it.  Only at the stream's checkpoint times is the state also stored
encoded in the block store (then written to the checkpoint) and its lineage cut.  When a
worker's memory is lost with it, a task elsewhere computes the previous state again from its
lineage: the last encoded state and the new values since, whose shuffle blocks it keeps.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable

from ember.rdd import RDD
from ember.rdd.pairs import _extend
from ember.rdd.pipeline import append_to, single_list
from ember.serde.hashing import portable_hash
from ember.storagelevel import StorageLevel
from ember.streaming.dstream import DStream


class StateDStream(DStream):
    kind = "updateStateByKey"
    must_checkpoint = True

    def __init__(self, parent: DStream, update_func: Callable, num_partitions: int, initial_rdd: RDD | None):
        super().__init__(parent._ssc, [parent])
        self.update_func = update_func
        self.num_partitions = num_partitions
        self.initial_rdd = initial_rdd
        self._block_prefix = f"state/{uuid.uuid4().hex[:12]}/"

    def compute(self, time_ms: int) -> RDD | None:
        previous_ms = time_ms - self.slide_ms
        previous = self.get_or_compute(previous_ms)
        new_values = self.parents[0].get_or_compute(time_ms)
        if new_values is None:
            return previous
        if previous is None and self.initial_rdd is not None:
            previous = self.initial_rdd.partitionBy(self.num_partitions)
        if isinstance(previous, StateRDD):
            previous_ms = previous.time_ms
        grouped = new_values._combine(
            single_list, append_to, _extend, self.num_partitions, portable_hash, "updateStateByKey"
        )
        state = StateRDD(previous, grouped, self.update_func, self._block_prefix, time_ms, previous_ms)
        if (time_ms - self.initialized_zero_ms()) % (self.checkpoint_ms or self.slide_ms) == 0:
            state.persist(StorageLevel.MEMORY_ONLY)  # encoded for the checkpoint, then cut
        return state


class StateRDD(RDD):
    """One batch's state: partition i from the previous state's partition i and the batch's
    new values of the keys hashed to i, grouped into a list per key (combined on the map side,
    so the shuffle carries a list per key, not a pair per value); kept as a local block where
    it is computed."""

    def __init__(
        self,
        previous: RDD | None,
        new_values: RDD,
        update_func: Callable,
        block_prefix: str,
        time_ms: int,
        previous_ms: int,
    ):
        super().__init__(new_values.ctx, new_values.getNumPartitions(), new_values.partitioner)
        self.previous = previous
        self.new_values = new_values
        self.update_func = update_func
        self.block_prefix = block_prefix
        self.time_ms = time_ms
        self.previous_ms = previous_ms

    def _block(self, time_ms: int, split: int) -> str:
        return f"{self.block_prefix}{time_ms}/{split}"

    def dependencies(self):
        return [rdd for rdd in (self.previous, self.new_values) if rdd is not None]

    def local_blocks(self, split):
        return self._block(self.time_ms, split), self._block(self.previous_ms, split)

    def compute(self, split, context):
        own = self._block(self.time_ms, split)
        try:
            return iter(context.local_block(own).items())
        except KeyError:
            pass
        state = update_partition(
            self._previous_state(split, context), self.new_values.iterator(split, context), self.update_func
        )
        context.keep_local(own, state)
        context.drop_local(self._block(self.previous_ms, split))  # superseded: this one follows it
        return iter(state.items())

    def _previous_state(self, split, context) -> dict:
        """The previous batch's state of ``split``: from this process's memory when it is here,
        else computed again from its lineage."""
        if self.previous is None:
            return {}
        try:
            return context.local_block(self._block(self.previous_ms, split))
        except KeyError:
            return dict(self.previous.iterator(split, context))


def update_partition(state: dict, new_values: Iterable, update: Callable) -> dict:
    """PySpark's update of one partition: ``update(new values, state)`` for every key with a
    state (in the state's order) and then every new key (in the order first seen); a key whose
    update returns None is dropped.  ``new_values`` are (key, list of values) pairs, one per
    key; ``state`` is read, never changed."""
    grouped = dict(new_values)
    updated: dict = {}
    pop = grouped.pop
    for key, current in state.items():
        values = pop(key, None)
        result = update([] if values is None else values, current)
        if result is not None:
            updated[key] = result
    for key, values in grouped.items():
        result = update(values, None)
        if result is not None:
            updated[key] = result
    return updated
