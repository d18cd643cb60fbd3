"""mapWithState, as Scala Spark has it (PySpark never got it): a function maps every record
with the state of its key, keys idle longer than the timeout are timed out, and
``stateSnapshots()`` gives every key's state after each batch.

Each batch's state is one record per partition, ``(states, mapped)``: ``states`` maps a key to
``(state, last_update_ms)`` and ``mapped`` holds what the function returned for the batch.  It
is computed from the previous batch's state and the batch's data partitioned the same way, in
the worker that keeps the previous one in its memory (``kept_state``).
As in Spark, idle keys are timed out only in batches where the state is checkpointed (every
checkpoint interval: ten batch intervals unless ``checkpoint()`` says otherwise).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ember.rdd import RDD
from ember.serde.hashing import portable_hash
from ember.streaming.dstream import DStream, TransformedDStream, positional_arity
from ember.streaming.durations import ms_to_datetime, to_ms
from ember.streaming.kept_state import KeptStateDStream, KeptStateRDD

#: Spark checkpoints mapWithState's state every 10 batches by default
CHECKPOINT_INTERVAL_BATCHES = 10


class StateNotSetError(LookupError):
    """``State.get()`` on a key that has no state (Scala's NoSuchElementException)."""


class State:
    """The state of one key, handed to the mapping function."""

    def __init__(self):
        self._wrap(None, False)

    def _wrap(self, value, exists: bool, timing_out: bool = False) -> State:
        self._value, self._exists, self._timing_out = value, exists, timing_out
        self._updated = self._removed = False
        return self

    def exists(self) -> bool:
        return self._exists

    def get(self):
        if not self._exists:
            raise StateNotSetError("State is not set")
        return self._value

    def getOption(self):
        """The state, or None when there is none."""
        return self._value if self._exists else None

    def update(self, newState) -> None:
        if self._removed:
            raise RuntimeError("Cannot update the state after it has been removed")
        if self._timing_out:
            raise RuntimeError("Cannot update the state of a key that is timing out")
        self._value, self._exists, self._updated = newState, True, True

    def remove(self) -> None:
        if self._timing_out:
            raise RuntimeError("Cannot remove the state of a key that is timing out")
        if self._removed:
            raise RuntimeError("Cannot remove the state that has already been removed")
        self._value, self._exists, self._removed = None, False, True

    def isTimingOut(self) -> bool:
        return self._timing_out

    def __repr__(self) -> str:
        return f"State({self._value!r})" if self._exists else "State(<not set>)"


class StateSpec:
    """What mapWithState needs: ``StateSpec.function(f).initialState(rdd).numPartitions(n).timeout(s)``.

    ``f(key, value, state)`` returns the mapped record; ``f(time, key, value, state)`` returns
    it or None for no record.  ``value`` is None when the key is timing out.
    """

    def __init__(self, mapping_function: Callable):
        arity = positional_arity(mapping_function)
        if arity not in (3, 4, None):
            raise TypeError(
                "StateSpec.function expects f(key, value, state) or "
                f"f(time, key, value, state), but {mapping_function!r} takes {arity} arguments"
            )
        self.mapping_function = mapping_function
        self.with_time = arity == 4
        self.initial_state: Any = None
        self.num_partitions: int | None = None
        self.timeout_ms: int | None = None

    @classmethod
    def function(cls, mappingFunction: Callable) -> StateSpec:
        return cls(mappingFunction)

    def initialState(self, rdd) -> StateSpec:
        """(key, state) pairs to start from: an RDD or a list."""
        self.initial_state = rdd
        return self

    def numPartitions(self, numPartitions: int) -> StateSpec:
        if isinstance(numPartitions, bool) or not isinstance(numPartitions, int) or numPartitions < 1:
            raise ValueError(f"numPartitions must be a positive int, got {numPartitions!r}")
        self.num_partitions = numPartitions
        return self

    def timeout(self, idleDuration) -> StateSpec:
        """Time out keys that received no data for ``idleDuration`` seconds."""
        self.timeout_ms = to_ms(idleDuration, "StateSpec timeout")
        return self


class InternalMapWithStateDStream(KeptStateDStream):
    """The per-batch state records, kept where they are computed; must be checkpointed."""

    kind = "mapWithState-state"

    def __init__(self, parent: DStream, spec: StateSpec):
        super().__init__(parent._ssc, [parent])
        self.spec = spec
        self.num_partitions = spec.num_partitions or self._sc.defaultParallelism

    def initialize(self, zero_ms: int) -> None:
        if self.checkpoint_ms is None:
            self.checkpoint_ms = self.slide_ms * CHECKPOINT_INTERVAL_BATCHES
        super().initialize(zero_ms)

    def compute(self, time_ms: int) -> RDD | None:
        previous = self.get_or_compute(time_ms - self.slide_ms)
        if previous is None:
            previous = self._initial_states(time_ms)
        data = self.parents[0].get_or_compute(time_ms)
        if data is None:
            return previous
        scan = self.is_checkpoint_time(time_ms)
        threshold = time_ms - self.spec.timeout_ms if self.spec.timeout_ms and scan else None
        update = _BatchUpdate(self.spec, time_ms, threshold)
        data = data.partitionBy(self.num_partitions, portable_hash)
        state = MapWithStateRDD(previous, [data], update, self.num_partitions, data.partitioner)
        return self.stored_at_checkpoints(state, time_ms)

    def _initial_states(self, time_ms: int) -> RDD:
        initial = self.spec.initial_state
        if initial is None:
            initial = self._sc.parallelize([], self.num_partitions)
        elif not isinstance(initial, RDD):
            initial = self._sc.parallelize(initial)
        return initial.partitionBy(self.num_partitions, portable_hash).mapPartitions(
            lambda pairs: [({key: (state, time_ms) for key, state in pairs}, [])], True
        )


class MapWithStateRDD(KeptStateRDD):
    """A batch's states and mapped records: one ``(states, mapped)`` record per partition."""

    @staticmethod
    def as_records(state: Any) -> Iterator:
        return iter([state])

    @staticmethod
    def from_records(records: Iterable) -> Any:
        return next(iter(records), ({}, []))

    @staticmethod
    def keys_of(state: Any) -> int:
        return len(state[0])


class _BatchUpdate:
    """Applies one batch's records to one partition's states (runs inside a task)."""

    def __init__(self, spec: StateSpec, time_ms: int, timeout_threshold_ms: int | None):
        self.func = spec.mapping_function
        self.with_time = spec.with_time
        self.keep_idle_time = spec.timeout_ms is not None
        self.time_ms = time_ms
        self.threshold = timeout_threshold_ms

    def __call__(self, previous: tuple[dict, list], records: Iterable) -> tuple[dict, list]:
        states = dict(previous[0])
        mapped: list = []
        state = State()
        for record in records:
            key, value = record
            stored = states.get(key)
            state._wrap(stored[0] if stored else None, stored is not None)
            self._map(key, value, state, mapped)
            if state._removed:
                states.pop(key, None)
            elif state._updated or (state._exists and self.keep_idle_time):
                states[key] = (state._value, self.time_ms)
        if self.threshold is not None:
            for key, (value, updated_ms) in list(states.items()):
                if updated_ms < self.threshold:
                    self._map(key, None, state._wrap(value, True, timing_out=True), mapped)
                    del states[key]
        return states, mapped

    def _map(self, key, value, state: State, mapped: list) -> None:
        if self.with_time:
            result = self.func(ms_to_datetime(self.time_ms), key, value, state)
            if result is not None:
                mapped.append(result)
        else:
            mapped.append(self.func(key, value, state))


class MapWithStateDStream(DStream):
    """What mapWithState returns: the mapped records of each batch."""

    kind = "mapWithState"

    def __init__(self, parent: DStream, spec: StateSpec):
        self._state_stream = InternalMapWithStateDStream(parent, spec)
        super().__init__(parent._ssc, [self._state_stream])

    def compute(self, time_ms: int) -> RDD | None:
        states = self._state_stream.get_or_compute(time_ms)
        if states is None:
            return None
        return states.flatMap(lambda states_mapped: states_mapped[1])

    def checkpoint(self, interval) -> MapWithStateDStream:
        """Checkpoint (and scan for timed-out keys) every ``interval`` seconds."""
        self._state_stream.checkpoint(interval)
        return self

    def stateSnapshots(self) -> DStream:
        """Every key's (key, state) after each batch."""
        return TransformedDStream(
            [self._state_stream], lambda _time, rdd: rdd.flatMap(_snapshot), "stateSnapshots"
        )


def _snapshot(states_mapped) -> list:
    return [(key, value) for key, (value, _) in states_mapped[0].items()]
