"""Partitioners: which partition a key belongs to."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ember.serde.hashing import portable_hash


class Partitioner:
    """``partitionFunc(key) % numPartitions``; two are equal when both parts are (as in PySpark)."""

    def __init__(self, numPartitions: int, partitionFunc: Callable[[Any], int] = portable_hash):
        self.numPartitions = numPartitions
        self.partitionFunc = partitionFunc

    def __eq__(self, other) -> bool:
        return (
            isinstance(other, Partitioner)
            and self.numPartitions == other.numPartitions
            and self.partitionFunc == other.partitionFunc
        )

    def __hash__(self) -> int:
        return hash((self.numPartitions, id(self.partitionFunc)))

    def __call__(self, key) -> int:
        return self.partitionFunc(key) % self.numPartitions
