"""updateStateByKey's stream: each batch's state is computed from the previous state and
the batch's new values, so it must be checkpointed (Spark's StateDStream).

Partition i of the state is a dict kept in the memory of the worker that computed it
(``kept_state``), updated there with the new values of the keys hashed to i, grouped into a
list per key by a map-side combine (the shuffle carries a list per key, not a pair per value).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ember.rdd import RDD
from ember.rdd.pairs import _extend
from ember.rdd.pipeline import append_to, single_list
from ember.serde.hashing import portable_hash
from ember.streaming.dstream import DStream
from ember.streaming.kept_state import KeptStateDStream, KeptStateRDD, fresh


class StateDStream(KeptStateDStream):
    kind = "updateStateByKey"

    def __init__(self, parent: DStream, update_func: Callable, num_partitions: int, initial_rdd: RDD | None):
        super().__init__(parent._ssc, [parent])
        self.update_func = update_func
        self.num_partitions = num_partitions
        self.initial_rdd = initial_rdd

    def compute(self, time_ms: int) -> RDD | None:
        previous = self.get_or_compute(time_ms - self.slide_ms)
        new_values = self.parents[0].get_or_compute(time_ms)
        if new_values is None:
            return previous
        if previous is None and self.initial_rdd is not None:
            previous = self.initial_rdd.reduceByKey(_keep_first, self.num_partitions)
        grouped = new_values._combine(
            single_list, append_to, _extend, self.num_partitions, portable_hash, "updateStateByKey"
        )
        state = KeptStateRDD(
            previous,
            [grouped],
            _UpdateByKey(self.update_func),
            grouped.getNumPartitions(),
            grouped.partitioner,
        )
        return self.stored_at_checkpoints(state, time_ms)


def _keep_first(first, _later):
    """A key the initial RDD gives more than once starts from its first value, as in PySpark
    (which takes the first of the key's cogrouped initial values)."""
    return first


class _UpdateByKey:
    """PySpark's update of one partition: ``update(new values, state)`` for every key with a
    state (in the state's order) and then every new key (in the order first seen); a key whose
    update returns None is dropped.  ``new_values`` are (key, list of values) pairs, one per
    key."""

    def __init__(self, update: Callable):
        self.update = update

    def __call__(self, state: dict, new_values: Iterable) -> dict:
        update = self.update
        grouped = dict(new_values)
        updated: dict = {}
        pop = grouped.pop
        for key, current in state.items():
            values = pop(key, None)
            result = update([] if values is None else values, fresh(current))
            if result is not None:
                updated[key] = result
        for key, values in grouped.items():
            result = update(values, None)
            if result is not None:
                updated[key] = result
        return updated
