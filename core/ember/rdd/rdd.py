"""The RDD: an immutable, partitioned dataset described by its lineage.

An RDD knows how to compute each of its partitions from its parents (``compute``); actions
hand the lineage to the DAG scheduler, which cuts it into stages at shuffles and runs the
stages' tasks on the executor.  The public API (PySpark's names) comes from three mixins, one
per concept: ``transformations`` (narrow and wide record operations), ``pairs`` (key/value
operations) and ``actions`` (what returns values to the driver); ``statistics``, ``zipping``,
``piping`` and ``checkpointing`` add one operation family each.
"""

from __future__ import annotations

import collections
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Generic

from ember._typing import T, T_co, U
from ember.rdd.actions import ActionsMixin
from ember.rdd.checkpointing import CheckpointMixin, without_lineage
from ember.rdd.joins import JoinsMixin
from ember.rdd.output import OutputMixin
from ember.rdd.pairs import PairFunctionsMixin
from ember.rdd.piping import PipeMixin
from ember.rdd.repartitioning import RepartitioningMixin
from ember.rdd.sampling import SamplingMixin
from ember.rdd.sorting import SortingMixin
from ember.rdd.statistics import StatisticsMixin
from ember.rdd.transformations import TransformationsMixin
from ember.rdd.zipping import ZipMixin
from ember.storagelevel import StorageLevel

if TYPE_CHECKING:
    from ember.context import SparkContext
    from ember.executor.base import TaskContext
    from ember.rdd.partitioner import Partitioner


class RDD(
    TransformationsMixin,
    RepartitioningMixin,
    SamplingMixin,
    PairFunctionsMixin,
    JoinsMixin,
    SortingMixin,
    ActionsMixin,
    StatisticsMixin,
    ZipMixin,
    PipeMixin,
    CheckpointMixin,
    OutputMixin,
    Generic[T_co],
):
    """Base of every RDD.  Subclasses define ``compute`` and ``dependencies``.

    Generic in its element type, as PySpark's ``RDD[T]``; the mixins' methods take
    ``self: RDD[T]`` (``self: RDD[tuple[K, V]]`` for pair operations), as PySpark's do."""

    def __init__(
        self, ctx: SparkContext, num_partitions: int, partitioner: Partitioner | None = None
    ) -> None:
        self.ctx = ctx
        self._id = ctx._new_rdd_id()
        self._num_partitions = num_partitions
        self.partitioner = partitioner
        self._storage_level: StorageLevel | None = None
        self.name_: str | None = None

    # -- lineage --------------------------------------------------------------------------
    def compute(self, split: int, context: TaskContext) -> Iterator[T_co]:
        """Yield the records of partition ``split`` (runs inside a task)."""
        raise NotImplementedError

    def dependencies(self) -> list[RDD[Any]]:
        """The parent RDDs this one is computed from."""
        return []

    def walk_lineage(self, descend_into: Callable[[RDD[Any]], bool] = lambda rdd: True) -> Iterator[RDD[Any]]:
        """This RDD and its ancestors, each once, nearest first; the parents of an RDD for
        which ``descend_into`` is False are not visited (it is asked after the RDD is yielded)."""
        seen: set[int] = set()
        pending: list[RDD[Any]] = [self]
        while pending:
            node = pending.pop()
            if node._id in seen:
                continue
            seen.add(node._id)
            yield node
            if descend_into(node):
                pending.extend(node.dependencies())

    def holds_no_records(self, split: int) -> bool:
        """Whether the driver knows that partition ``split`` has no record and that computing
        it calls no user function, so a shuffle's map task for it would write nothing and
        need not run.  False when not known."""
        return False

    def local_blocks(self, split: int) -> tuple[str, ...]:
        """Ids of the local blocks (``TaskContext.keep_local``) computing ``split`` would read,
        so the executor runs its task where they are; none unless an RDD kind keeps some."""
        return ()

    def iterator(self, split: int, context: TaskContext) -> Iterator[T_co]:
        """Records of ``split``: from the checkpoint once written, from the cache when
        persisted, else computed."""
        if self._checkpoint is not None and self.isCheckpointed():
            records: Iterator[T_co] = self._checkpoint.read(self, split, context)
            return records
        if self._storage_level is None:
            return self.compute(split, context)
        block_id = self.cache_block_id(split)
        if not context.blocks.has_block(block_id):
            context.blocks.put_block(block_id, list(self.compute(split, context)))
        return iter(context.blocks.get_block(block_id))

    def cache_block_id(self, split: int) -> str:
        """The block a persisted partition is stored in (checkpoints and monitors read it)."""
        return f"rdd/{self._id}/{split}"

    def is_fully_cached(self) -> bool:
        """Whether every partition is in the cache, so its lineage need not run again."""
        blocks = self.ctx.executor
        return self._storage_level is not None and all(
            blocks.has_block(self.cache_block_id(s)) for s in range(self._num_partitions)
        )

    # -- identity and persistence -----------------------------------------------------------
    @property
    def context(self) -> SparkContext:
        return self.ctx

    def id(self) -> int:
        return self._id

    def name(self) -> str | None:
        return self.name_

    def setName(self: RDD[T], name: str) -> RDD[T]:
        self.name_ = name
        return self

    def getNumPartitions(self) -> int:
        return self._num_partitions

    def cache(self: RDD[T]) -> RDD[T]:
        return self.persist(StorageLevel.MEMORY_ONLY)

    def persist(self: RDD[T], storageLevel: StorageLevel = StorageLevel.MEMORY_ONLY) -> RDD[T]:
        if self._storage_level is None:
            weakref.finalize(self, _drop_blocks, self.ctx.executor, f"rdd/{self._id}/")
        self._storage_level = storageLevel
        return self

    def unpersist(self: RDD[T], blocking: bool = False) -> RDD[T]:
        self._storage_level = None
        _remove_blocks(self.ctx.executor, f"rdd/{self._id}/")
        return self

    @property
    def is_cached(self) -> bool:
        return self._storage_level is not None

    def getStorageLevel(self) -> StorageLevel:
        return self._storage_level or StorageLevel(False, False, False, False, 1)

    # -- the two primitives every operation is built from -----------------------------------
    def mapPartitionsWithIndex(
        self: RDD[T], f: Callable[[int, Iterable[T]], Iterable[U]], preservesPartitioning: bool = False
    ) -> RDD[U]:
        """A new RDD from ``f(partition_index, iterator)`` on each partition (narrow, fused)."""
        return PipelinedRDD(self, f, preservesPartitioning)

    def _shuffle(
        self: RDD[T],
        num_partitions: int,
        partition_func: Callable[[Any], int],
        partitioner: Partitioner | None = None,
    ) -> RDD[T]:
        """Move (key, value) records to partition ``partition_func(key) % num_partitions``."""
        return ShuffledRDD(self, num_partitions, partition_func, partitioner)

    def _run_job(
        self, func: Callable[[Iterator[Any]], U], partitions: Iterable[int] | None = None
    ) -> list[U]:
        """Run ``func`` over the records of each partition and return its results in order."""
        return self.ctx._run_partitions(self, func, partitions)

    # -- pickling: the lineage travels to workers inside tasks, the driver's context does not
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["ctx"] = None
        return without_lineage(state) if self.isCheckpointed() else state

    def __repr__(self) -> str:
        return f"{type(self).__name__}[{self._id}]"


#: (executor, block id prefix) of RDDs garbage-collected since the last job.  A finalizer runs
#: wherever the collector happens to run, even in code holding an executor's locks, so it only
#: queues; the next job removes them (``remove_blocks_of_collected``).
_blocks_of_collected: collections.deque[tuple[Any, str]] = collections.deque()


def _drop_blocks(executor: Any, prefix: str) -> None:
    """Finalizer of an RDD that has blocks (cached, input, shuffle, kept state)."""
    _blocks_of_collected.append((executor, prefix))


def remove_blocks_of_collected() -> None:
    """Remove the blocks that RDDs collected since the last call left (before each job)."""
    while True:
        try:
            executor, prefix = _blocks_of_collected.popleft()
        except IndexError:
            return
        _remove_blocks(executor, prefix)


def _remove_blocks(executor: Any, prefix: str) -> None:
    try:
        executor.remove_blocks([prefix])
    except Exception:  # noqa: BLE001 - the executor may be shut down already
        pass


# The lineage kinds subclass RDD, so they can only be imported once RDD exists.
from ember.rdd.lineage import PipelinedRDD, ShuffledRDD  # noqa: E402
