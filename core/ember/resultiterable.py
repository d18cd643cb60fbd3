"""ResultIterable: the values of one key from groupByKey and cogroup, as PySpark gives them."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class ResultIterable(Generic[T]):
    """A sized, re-iterable view of a key's values (PySpark's type of the same name).

    Programs written for PySpark call ``list(values)``, ``len(values)`` and iterate it more
    than once; ``data`` is the underlying list.
    """

    def __init__(self, data: Collection[T]) -> None:
        self.data = data
        self.index = 0
        self.maxindex = len(data)

    def __iter__(self) -> Iterator[T]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)
