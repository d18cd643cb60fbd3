"""Keeping state lineage short: after each batch, a stateful stream's RDD is computed into the
executor's cache and then cut from its ancestors.

Each batch's state is built on the previous batch's, so without a cut the lineage (and every
task, which carries it) would grow with every batch until it could no longer be shipped.
Spark cuts it by checkpointing; ember also cuts it as soon as the state is cached, in place,
because batches queued behind this one may already be built on this very RDD object.
"""

from __future__ import annotations

from ember.rdd import RDD

#: what an RDD keeps once cut: its identity, size, partitioner and cache
_KEPT = ("ctx", "_id", "_num_partitions", "partitioner", "_storage_level", "name_")


class CachedRDD(RDD):
    """An RDD whose partitions are all in the executor's cache; it has no parents."""

    def compute(self, split, context):
        return iter(context.blocks.get_block(self.cache_block_id(split)))


def materialize_and_cut(rdd: RDD) -> None:
    """Compute every partition of the persisted ``rdd`` into the cache, then drop its lineage."""
    rdd.count()
    if isinstance(rdd, CachedRDD) or not rdd.is_fully_cached():
        return
    blocks = [rdd.cache_block_id(split) for split in range(rdd.getNumPartitions())]
    if not rdd.ctx.executor.replicate_blocks(blocks):  # a worker holding one was lost
        return
    rdd.__dict__ = {name: rdd.__dict__[name] for name in _KEPT if name in rdd.__dict__}
    rdd.__class__ = CachedRDD
