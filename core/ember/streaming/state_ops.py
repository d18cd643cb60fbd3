"""Stateful DStream operations: ``updateStateByKey`` (PySpark) and ``mapWithState`` (Scala's)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ember._typing import K, S, V
from ember.rdd import RDD

if TYPE_CHECKING:
    from ember.streaming.dstream import DStream
    from ember.streaming.map_with_state import MapWithStateDStream, StateSpec


class StateOpsMixin:
    def updateStateByKey(
        self: DStream[tuple[K, V]],
        updateFunc: Callable[[list[V], S | None], S | None],
        numPartitions: int | None = None,
        initialRDD: RDD[tuple[K, S]] | Iterable[tuple[K, S]] | None = None,
    ) -> DStream[tuple[K, S]]:
        """Keep a state per key: every batch, ``updateFunc(new_values, state)`` for every key
        with new values or a state (``new_values`` may be empty, ``state`` None for a new key);
        returning None removes the key.  Needs ``ssc.checkpoint(dir)``."""
        from ember.streaming.update_state_by_key import StateDStream

        if not callable(updateFunc):
            raise TypeError(f"updateStateByKey expects a function, got {type(updateFunc).__name__}")
        if initialRDD is not None and not isinstance(initialRDD, RDD):
            initialRDD = self._sc.parallelize(initialRDD)
        return StateDStream(self, updateFunc, self._partitions(numPartitions), initialRDD)

    def mapWithState(self: DStream[tuple[Any, Any]], spec: StateSpec) -> MapWithStateDStream:
        """Scala's mapWithState: the spec's function maps each record with its key's state;
        ``stateSnapshots()`` on the result gives every key's state after each batch."""
        from ember.streaming.map_with_state import MapWithStateDStream, StateSpec

        if not isinstance(spec, StateSpec):
            raise TypeError(
                f"mapWithState expects a StateSpec (StateSpec.function(f)), got "
                f"{type(spec).__name__} {spec!r:.80}"
            )
        return MapWithStateDStream(self, spec)
