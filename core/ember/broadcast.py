"""Broadcast variables: a read-only value shipped to the executor once, read by every task."""

from __future__ import annotations

from typing import Generic, TypeVar, cast

from ember.executor.base import TaskContext

T = TypeVar("T")

# Values already read by this process, by broadcast id: a worker fetches each block once.
_worker_values: dict[int, object] = {}


def _block_id(bid: int) -> str:
    return f"broadcast/{bid}"


class Broadcast(Generic[T]):
    """Created by ``SparkContext.broadcast``; pickles as its id only."""

    def __init__(self, bid: int, value: T | None = None, executor=None):
        self._bid = bid
        self._value = value
        self._executor = executor
        if executor is not None:
            executor.put_block(_block_id(bid), [value])

    @property
    def value(self) -> T:
        if self._executor is not None:
            return cast(T, self._value)
        if self._bid not in _worker_values:
            context = TaskContext.get()
            if context is None:
                raise RuntimeError(f"Broadcast {self._bid} was destroyed or read outside a task")
            _worker_values[self._bid] = context.blocks.get_block(_block_id(self._bid))[0]
        return cast(T, _worker_values[self._bid])

    def unpersist(self, blocking: bool = False) -> None:
        """Spark drops executors' copies here; ember keeps its one shared copy until destroy()."""

    def destroy(self, blocking: bool = False) -> None:
        if self._executor is not None:
            self._executor.remove_blocks([_block_id(self._bid)])
            self._executor = None

    def __reduce__(self):
        return (Broadcast, (self._bid,))
