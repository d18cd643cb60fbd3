"""The RDD: an immutable, partitioned dataset described by its lineage.

An RDD knows how to compute each of its partitions from its parents (``compute``); actions
hand the lineage to the DAG scheduler, which cuts it into stages at shuffles and runs the
stages' tasks on the executor.  The public API (PySpark's names) comes from three mixins, one
per concept: ``transformations`` (narrow and wide record operations), ``pairs`` (key/value
operations) and ``actions`` (what returns values to the driver).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ember.rdd.actions import ActionsMixin
from ember.rdd.joins import JoinsMixin
from ember.rdd.output import OutputMixin
from ember.rdd.pairs import PairFunctionsMixin
from ember.rdd.repartitioning import RepartitioningMixin
from ember.rdd.sampling import SamplingMixin
from ember.rdd.sorting import SortingMixin
from ember.rdd.transformations import TransformationsMixin
from ember.storagelevel import StorageLevel

if TYPE_CHECKING:
    from ember.context import SparkContext
    from ember.executor.base import TaskContext


class RDD(
    TransformationsMixin,
    RepartitioningMixin,
    SamplingMixin,
    PairFunctionsMixin,
    JoinsMixin,
    SortingMixin,
    ActionsMixin,
    OutputMixin,
):
    """Base of every RDD.  Subclasses define ``compute`` and ``dependencies``."""

    def __init__(self, ctx: SparkContext, num_partitions: int, partitioner=None):
        self.ctx = ctx
        self._id = ctx._new_rdd_id()
        self._num_partitions = num_partitions
        self.partitioner = partitioner
        self._storage_level: StorageLevel | None = None
        self.name_: str | None = None

    # -- lineage --------------------------------------------------------------------------
    def compute(self, split: int, context: TaskContext) -> Iterator:
        """Yield the records of partition ``split`` (runs inside a task)."""
        raise NotImplementedError

    def dependencies(self) -> list[RDD]:
        """The parent RDDs this one is computed from."""
        return []

    def local_blocks(self, split: int) -> tuple[str, ...]:
        """Ids of the local blocks (``TaskContext.keep_local``) computing ``split`` would read,
        so the executor runs its task where they are; none unless an RDD kind keeps some."""
        return ()

    def iterator(self, split: int, context: TaskContext) -> Iterator:
        """Records of ``split``: from the cache when persisted, else computed."""
        if self._storage_level is None:
            return self.compute(split, context)
        block_id = self._cache_block_id(split)
        if not context.blocks.has_block(block_id):
            context.blocks.put_block(block_id, list(self.compute(split, context)))
        return iter(context.blocks.get_block(block_id))

    def _cache_block_id(self, split: int) -> str:
        return f"rdd/{self._id}/{split}"

    def is_fully_cached(self) -> bool:
        """Whether every partition is in the cache, so its lineage need not run again."""
        blocks = self.ctx.executor
        return self._storage_level is not None and all(
            blocks.has_block(self._cache_block_id(s)) for s in range(self._num_partitions)
        )

    # -- identity and persistence -----------------------------------------------------------
    @property
    def context(self) -> SparkContext:
        return self.ctx

    def id(self) -> int:
        return self._id

    def name(self) -> str | None:
        return self.name_

    def setName(self, name: str) -> RDD:
        self.name_ = name
        return self

    def getNumPartitions(self) -> int:
        return self._num_partitions

    def cache(self) -> RDD:
        return self.persist(StorageLevel.MEMORY_ONLY)

    def persist(self, storageLevel: StorageLevel = StorageLevel.MEMORY_ONLY) -> RDD:
        if self._storage_level is None:
            weakref.finalize(self, _drop_blocks, self.ctx.executor, f"rdd/{self._id}/")
        self._storage_level = storageLevel
        return self

    def unpersist(self, blocking: bool = False) -> RDD:
        self._storage_level = None
        _drop_blocks(self.ctx.executor, f"rdd/{self._id}/")
        return self

    @property
    def is_cached(self) -> bool:
        return self._storage_level is not None

    def getStorageLevel(self) -> StorageLevel:
        return self._storage_level or StorageLevel(False, False, False, False, 1)

    # -- the two primitives every operation is built from -----------------------------------
    def mapPartitionsWithIndex(
        self, f: Callable[[int, Iterator], Iterable], preservesPartitioning: bool = False
    ) -> RDD:
        """A new RDD from ``f(partition_index, iterator)`` on each partition (narrow, fused)."""
        return PipelinedRDD(self, f, preservesPartitioning)

    def _shuffle(self, num_partitions: int, partition_func: Callable, partitioner=None) -> RDD:
        """Move (key, value) records to partition ``partition_func(key) % num_partitions``."""
        return ShuffledRDD(self, num_partitions, partition_func, partitioner)

    def _run_job(self, func: Callable[[Iterator], Any], partitions: Iterable[int] | None = None) -> list:
        """Run ``func`` over the records of each partition and return its results in order."""
        return self.ctx._run_partitions(self, func, partitions)

    # -- pickling: the lineage travels to workers inside tasks, the driver's context does not
    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["ctx"] = None
        return state

    def __repr__(self) -> str:
        return f"{type(self).__name__}[{self._id}]"


def _drop_blocks(executor, prefix: str) -> None:
    """Finalizer: forget blocks of a collected RDD (a stopped executor has none to drop)."""
    try:
        executor.remove_blocks([prefix])
    except Exception:  # noqa: BLE001 - the executor may be shut down already
        pass


# The lineage kinds subclass RDD, so they can only be imported once RDD exists.
from ember.rdd.lineage import PipelinedRDD, ShuffledRDD  # noqa: E402
