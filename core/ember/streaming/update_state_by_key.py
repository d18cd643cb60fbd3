"""updateStateByKey's stream: each batch's state is computed from the previous state and
the batch's new values, so it is persisted and must be checkpointed (Spark's StateDStream)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ember.rdd import RDD
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
        self._storage_level = StorageLevel.MEMORY_ONLY

    def compute(self, time_ms: int) -> RDD | None:
        previous = self.get_or_compute(time_ms - self.slide_ms)
        new_values = self.parents[0].get_or_compute(time_ms)
        if new_values is None:
            return previous
        return self._update(previous if previous is not None else self.initial_rdd, new_values)

    def _update(self, state: RDD | None, new_values: RDD) -> RDD:
        update, count = self.update_func, self.num_partitions
        grouped: RDD[Any]
        if state is None:
            grouped = new_values.groupByKey(count).mapValues(lambda values: (list(values), None))
        else:
            grouped = state.cogroup(new_values.partitionBy(count), count).mapValues(
                lambda states_values: (list(states_values[1]), _only_state(states_values[0]))
            )
        updated = grouped.mapValues(lambda values_state: update(*values_state))
        return updated.filter(lambda kv: kv[1] is not None)


def _only_state(states) -> object:
    """The one state of a key from the cogroup (None when the key has no state yet)."""
    for state in states:
        return state
    return None
