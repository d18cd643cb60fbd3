"""The kinds of RDD a lineage is built from.

Every public operation is expressed with these few: data from the driver
(``ParallelCollectionRDD``) or already stored by the executor (``BlockRDD``), a function over
each partition's iterator (``PipelinedRDD``, consecutive ones fused into one), a shuffle by key
(``ShuffledRDD``, the only wide dependency) and narrow regroupings of parents' partitions:
concatenated (``UnionRDD``), aligned by a shared partitioner (``PartitionerAwareUnionRDD``),
merged into fewer (``CoalescedRDD``), paired with every partition of another RDD
(``CartesianRDD``) or record by record with the same partition of another (``ZippedRDD``).
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any

from ember.executor.base import BlocksLostError, BlockStore
from ember.rdd.pipeline import RecordPipeline
from ember.rdd.rdd import RDD, _drop_blocks

PartitionFunc = Callable[[int, Iterable], Iterable]


class ParallelCollectionRDD(RDD):
    """Slices of driver data, stored once as blocks so tasks read them from the executor."""

    def __init__(self, ctx, slices: Sequence[list]):
        super().__init__(ctx, len(slices))
        executor = ctx.executor
        self._empty_slices = frozenset(index for index, records in enumerate(slices) if not records)
        for index, records in enumerate(slices):
            executor.put_block(self._slice_block_id(index), list(records))
        weakref.finalize(self, _drop_blocks, executor, f"input/{self._id}/")

    def holds_no_records(self, split):
        return split in self._empty_slices

    def _slice_block_id(self, split: int) -> str:
        return f"input/{self._id}/{split}"

    def compute(self, split, context):
        return iter(context.blocks.get_block(self._slice_block_id(split)))


class BlockRDD(RDD):
    """Blocks already in the executor's store (what receivers stored): each partition reads its
    blocks one after the other; whoever stored them removes them.

    They have no lineage: a block missing when a task reads it is lost (``BlocksLostError``),
    and before the stage runs again the DAG scheduler calls ``restore_lost``, which hands this
    RDD's lost ids to ``restore`` (on the driver: a receiver stream stores them again from its
    write-ahead log, Spark's WriteAheadLogBackedBlockRDD) or, without one, says they are gone.
    """

    def __init__(
        self, ctx, partitions: Sequence[Sequence[str]], restore: Callable[[list[str]], None] | None = None
    ):
        super().__init__(ctx, len(partitions))
        self.block_ids = [tuple(block_ids) for block_ids in partitions]
        self._restore = restore

    def holds_no_records(self, split):
        return not self.block_ids[split]

    def compute(self, split, context):
        blocks = context.blocks
        return itertools.chain.from_iterable(
            _read_block(blocks, block_id) for block_id in self.block_ids[split]
        )

    def restore_lost(self, block_ids: Collection[str]) -> None:
        """Store again this RDD's blocks among ``block_ids`` (lost), or raise why they cannot be."""
        lost = set(block_ids)
        mine = [block_id for ids in self.block_ids for block_id in ids if block_id in lost]
        if not mine:
            return
        if self._restore is None:
            raise BlocksLostError(mine)
        self._restore(mine)

    def __getstate__(self) -> dict[str, Any]:
        return {**super().__getstate__(), "_restore": None}  # the driver's: never shipped


def _read_block(blocks: BlockStore, block_id: str) -> list:
    try:
        return blocks.get_block(block_id)
    except KeyError:  # stored before the RDD was made, and not removed while it is in use: lost
        raise BlocksLostError([block_id]) from None


class PipelinedRDD(RDD):
    """``func(split, iterator)`` applied to each partition of ``prev``.

    Chained pipelines fuse into one function so a task runs them in a single pass, unless the
    parent is cached or marked for checkpointing (then its partitions must be materialized) or
    ``preservesPartitioning`` differs in a way that matters only for the partitioner, not for
    fusion.  Record operations
    (``RecordPipeline``) following one another fuse further, into one loop.
    """

    def __init__(self, prev: RDD, func: PartitionFunc, preservesPartitioning: bool = False):
        self.func: PartitionFunc
        self.source: RDD
        if (
            isinstance(prev, PipelinedRDD)
            and not prev.is_cached
            and prev._checkpoint is None
            and isinstance(func, RecordPipeline)
            and isinstance(prev.func, RecordPipeline)
            and prev.func.is_open
        ):
            self.func, self.source = prev.func.then(func), prev.source
        elif isinstance(prev, PipelinedRDD) and not prev.is_cached and prev._checkpoint is None:
            self.func, self.source = FusedPartitionFunc(func, prev.func), prev.source
        else:
            self.func, self.source = func, prev
        super().__init__(
            prev.ctx, prev.getNumPartitions(), prev.partitioner if preservesPartitioning else None
        )

    def dependencies(self):
        return [self.source]

    def local_blocks(self, split):
        return self.source.local_blocks(split)

    def holds_no_records(self, split):
        return makes_no_records_from_none(self.func) and self.source.holds_no_records(split)

    def compute(self, split, context):
        # User functions may return any iterable (a list, say); consumers expect an iterator.
        return iter(self.func(split, self.source.iterator(split, context)))


class FusedPartitionFunc:
    """Two partition functions run as one, ``outer`` over what ``inner`` yields."""

    __slots__ = ("inner", "outer")

    def __init__(self, outer: PartitionFunc, inner: PartitionFunc):
        self.outer, self.inner = outer, inner

    def __call__(self, split: int, iterator: Iterable) -> Iterable:
        return self.outer(split, self.inner(split, iterator))


def makes_no_records_from_none(func: PartitionFunc) -> bool:
    """Whether ``func`` is known to give an empty partition for an empty one: a record loop
    calls nothing then (a combine too); any other function may make records."""
    if isinstance(func, FusedPartitionFunc):
        return makes_no_records_from_none(func.inner) and makes_no_records_from_none(func.outer)
    return isinstance(func, RecordPipeline)


class ShuffledRDD(RDD):
    """``prev``'s (key, value) records moved to partition ``partition_func(key) % n``.

    The map stage writes one block per (map partition, reduce partition) that received
    records.  The scheduler records, per map partition, the reduce partitions it wrote to
    (``map_written``, None for a map output not computed or lost) and, once every map output
    exists, the reduce side's view of it (``map_outputs``: for each reduce partition, the map
    partitions that wrote a block for it).
    """

    def __init__(self, prev: RDD, num_partitions: int, partition_func: Callable, partitioner=None):
        super().__init__(prev.ctx, num_partitions, partitioner)
        self.prev = prev
        self.partition_func = partition_func
        self.shuffle_id = prev.ctx._new_shuffle_id()
        self.map_written: list[frozenset[int] | None] | None = None
        self.map_outputs: tuple[tuple[int, ...], ...] | None = None
        weakref.finalize(self, _drop_blocks, prev.ctx.executor, f"shuffle/{self.shuffle_id}/")

    def dependencies(self):
        return [self.prev]

    def shuffle_block_id(self, map_split: int, reduce_split: int) -> str:
        return f"shuffle/{self.shuffle_id}/{map_split}/{reduce_split}"

    def holds_no_records(self, split):
        return self.map_outputs is not None and not self.map_outputs[split]

    def lost_map_splits(self, block_ids) -> set[int]:
        """The map partitions that wrote any of ``block_ids`` (blocks an executor lost)."""
        prefix = f"shuffle/{self.shuffle_id}/"
        return {
            int(block_id[len(prefix) :].split("/")[0])
            for block_id in block_ids
            if block_id.startswith(prefix)
        }

    def compute(self, split, context):
        get_block = context.blocks.get_block
        return itertools.chain.from_iterable(
            get_block(self.shuffle_block_id(m, split)) for m in self.map_outputs[split]
        )


class UnionRDD(RDD):
    """The partitions of several RDDs, one after another (Spark's plain union)."""

    def __init__(self, ctx, rdds: Sequence[RDD]):
        self.rdds = list(rdds)
        self._index = [(rdd, split) for rdd in self.rdds for split in range(rdd.getNumPartitions())]
        super().__init__(ctx, len(self._index))

    def dependencies(self):
        return self.rdds

    def holds_no_records(self, split):
        rdd, parent_split = self._index[split]
        return rdd.holds_no_records(parent_split)

    def compute(self, split, context):
        rdd, parent_split = self._index[split]
        return rdd.iterator(parent_split, context)


class PartitionerAwareUnionRDD(RDD):
    """RDDs sharing one partitioner: partition ``i`` is every parent's partition ``i`` in turn.

    Spark unions such RDDs this way so that the result keeps the partitioning and a later
    per-key operation needs no shuffle.
    """

    def __init__(self, ctx, rdds: Sequence[RDD]):
        self.rdds = list(rdds)
        partitioner = self.rdds[0].partitioner
        assert partitioner is not None, "made only for RDDs that share a partitioner"
        super().__init__(ctx, partitioner.numPartitions, partitioner)

    def dependencies(self):
        return self.rdds

    def compute(self, split, context):
        return itertools.chain.from_iterable(rdd.iterator(split, context) for rdd in self.rdds)


class CoalescedRDD(RDD):
    """Fewer partitions without a shuffle: each one reads a run of consecutive parent partitions."""

    def __init__(self, prev: RDD, groups: Sequence[range]):
        self.prev = prev
        self.groups = list(groups)
        super().__init__(prev.ctx, len(self.groups))

    def dependencies(self):
        return [self.prev]

    def compute(self, split, context):
        return itertools.chain.from_iterable(
            self.prev.iterator(parent, context) for parent in self.groups[split]
        )


class CartesianRDD(RDD):
    """Every pair of records: partition ``i * m + j`` pairs ``first``'s ``i`` with ``second``'s ``j``.

    Inside a partition the pairs come in nested-loop order.  PySpark pairs its serializer's
    batches instead, so its order differs when both partitions hold several batches (e.g.
    outputs of Python functions); the partitions' contents are the same.
    """

    def __init__(self, first: RDD, second: RDD):
        self.left, self.right = first, second
        super().__init__(first.ctx, first.getNumPartitions() * second.getNumPartitions())

    def dependencies(self):
        return [self.left, self.right]

    def compute(self, split, context):
        left, right = divmod(split, self.right.getNumPartitions())
        right_records = list(self.right.iterator(right, context))
        return ((x, y) for x in self.left.iterator(left, context) for y in right_records)


class ZippedRDD(RDD):
    """Partition ``i`` pairs the records of ``first``'s partition ``i`` with ``second``'s."""

    def __init__(self, first: RDD, second: RDD):
        self.left, self.right = first, second
        super().__init__(first.ctx, first.getNumPartitions())

    def dependencies(self):
        return [self.left, self.right]

    def compute(self, split, context):
        left = list(self.left.iterator(split, context))
        right = list(self.right.iterator(split, context))
        if len(left) != len(right):  # PySpark's message, which counts its pickle batches
            raise ValueError(
                "Can not deserialize PairRDD with different number of items in "
                f"batches: ({len(left)}, {len(right)})"
            )
        return zip(left, right)
