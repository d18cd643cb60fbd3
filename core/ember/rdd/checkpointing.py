"""RDD checkpointing: cut an RDD's lineage after the next job, as Spark does.

``checkpoint()`` marks an RDD; after the next job that computed it, a second job writes its
partitions as ``rdd-<id>/part-00000``... under the SparkContext's checkpoint directory
(``setCheckpointDir`` makes ``<dir>/<uuid>``, as Spark does), and from then on the RDD reads
those files instead of computing from its parents, which the scheduler no longer visits and
tasks no longer carry.  ``localCheckpoint()`` does the same with the executor's cached blocks:
faster, but lost with the executor (as in Spark, it persists the RDD with a disk level).
Files hold one encoded block (``ember.serde.codec``) per partition.
"""

from __future__ import annotations

import logging
import os
import uuid
from typing import TYPE_CHECKING, Any

from ember.executor.base import TaskContext
from ember.serde.codec import decode_block, encode_block
from ember.storagelevel import StorageLevel

if TYPE_CHECKING:
    from ember.rdd.rdd import RDD

_log = logging.getLogger("ember.rdd")
_LOCAL_SCHEME = "file:"
#: what RDD.__init__ sets: all a checkpointed RDD keeps when it travels in a task
_RDD_ATTRIBUTES = ("ctx", "_id", "_num_partitions", "partitioner", "_storage_level", "name_", "_checkpoint")


def new_checkpoint_directory(dirName: str) -> str:
    """``SparkContext.setCheckpointDir``: a fresh ``<dirName>/<uuid>``, created, as a file: URL."""
    if not isinstance(dirName, (str, os.PathLike)):
        raise TypeError(
            f"setCheckpointDir expects a directory path, got {type(dirName).__name__} " f"{dirName!r}"
        )
    path = os.fspath(dirName)
    if "://" in path and not path.startswith("file://"):
        raise ValueError(
            f"setCheckpointDir: ember checkpoints RDDs to local directories (a path or "
            f"a file:// URL), not {path!r}"
        )
    directory = os.path.join(os.path.abspath(path.removeprefix("file://")), str(uuid.uuid4()))
    try:
        os.makedirs(directory)
    except OSError as error:
        raise OSError(
            error.errno,
            f"setCheckpointDir: cannot create the checkpoint directory " f"{directory}: {error.strerror}",
        ) from None
    return _LOCAL_SCHEME + directory


class ReliableCheckpoint:
    """Marked by ``checkpoint()``; ``path`` is set once the partitions are written."""

    def __init__(self):
        self.path: str | None = None

    @property
    def done(self) -> bool:
        return self.path is not None

    def materialize(self, rdd: RDD) -> None:
        checkpoint_dir = rdd.ctx.getCheckpointDir()
        assert checkpoint_dir is not None, "checkpoint() marks an RDD only once the directory is set"
        directory = checkpoint_dir.removeprefix(_LOCAL_SCHEME)
        target = os.path.join(directory, f"rdd-{rdd.id()}")
        os.makedirs(target, exist_ok=True)
        rdd.ctx.scheduler.run_job(rdd, _partition_writer(target), range(rdd.getNumPartitions()))
        self.path = _LOCAL_SCHEME + target

    def read(self, rdd: RDD, split: int, context: TaskContext):
        assert self.path is not None, "an RDD reads its checkpoint only once it is written (done)"
        with open(_part_file(self.path.removeprefix(_LOCAL_SCHEME), split), "rb") as part:
            return iter(decode_block(part.read()))


class LocalCheckpoint:
    """Marked by ``localCheckpoint()``: the RDD's cached blocks stand in for its lineage."""

    def __init__(self):
        self.done = False

    def materialize(self, rdd: RDD) -> None:
        missing = [
            split
            for split in range(rdd.getNumPartitions())
            if not rdd.ctx.executor.has_block(rdd.cache_block_id(split))
        ]
        if missing:  # the job computed only some partitions (take, lookup)
            rdd.ctx.scheduler.run_job(rdd, _drain, missing)
        self.done = True

    def read(self, rdd: RDD, split: int, context: TaskContext):
        block_id = rdd.cache_block_id(split)
        if not context.blocks.has_block(block_id):
            raise RuntimeError(
                f"Checkpoint block {block_id} not found! Either the executor that originally "
                "checkpointed this partition is no longer alive, or the original RDD is "
                "unpersisted. If this problem persists, you may consider using `rdd.checkpoint()` "
                "instead, which is slower than local checkpointing but more fault-tolerant."
            )
        return iter(context.blocks.get_block(block_id))


def _part_file(directory: str, split: int) -> str:
    return os.path.join(directory, f"part-{split:05d}")


def _partition_writer(directory: str):
    def write_partition(records) -> None:
        """Runs in a task: write the partition whole, then rename it into place."""
        context = TaskContext.get()
        assert context is not None, "run_job calls it in a task"
        target = _part_file(directory, context.partitionId())
        staging = f"{target}.{uuid.uuid4().hex}.tmp"
        with open(staging, "wb") as part:
            part.write(encode_block(list(records), f"checkpointing to {target}"))
        os.replace(staging, target)

    return write_partition


def _drain(records) -> None:
    for _ in records:
        pass


def checkpoint_marked(rdd: RDD) -> None:
    """After a job on ``rdd``: checkpoint what its lineage marked, nearest first (Spark's
    ``doCheckpoint``: a marked RDD's own ancestors are not looked at)."""
    for node in rdd.walk_lineage(descend_into=lambda node: node._checkpoint is None):
        if node._checkpoint is not None and not node._checkpoint.done:
            node._checkpoint.materialize(node)


def without_lineage(state: dict[str, Any]) -> dict[str, Any]:
    """A checkpointed RDD's pickled state: what reading the checkpoint needs, no parents."""
    return {name: state[name] for name in _RDD_ATTRIBUTES if name in state}


class CheckpointMixin:
    _checkpoint: ReliableCheckpoint | LocalCheckpoint | None = None

    def checkpoint(self: RDD[Any]) -> None:
        if self.ctx.getCheckpointDir() is None:
            raise RuntimeError("Checkpoint directory has not been set in the SparkContext")
        if self._checkpoint is None:
            self._checkpoint = ReliableCheckpoint()

    def localCheckpoint(self: RDD[Any]) -> None:
        level = self._storage_level
        self.persist(
            StorageLevel.MEMORY_AND_DISK_DESER
            if level is None
            else StorageLevel(True, level.useMemory, False, level.deserialized, level.replication)
        )
        if self.isCheckpointed():
            _log.warning(
                "Not marking RDD for local checkpoint because it was already " "checkpointed and materialized"
            )
            return
        if isinstance(self._checkpoint, ReliableCheckpoint):
            _log.warning(
                "RDD was already marked for reliable checkpointing: overriding with " "local checkpoint."
            )
        self._checkpoint = LocalCheckpoint()

    def isCheckpointed(self: RDD[Any]) -> bool:
        return self._checkpoint is not None and self._checkpoint.done

    def isLocallyCheckpointed(self: RDD[Any]) -> bool:
        return isinstance(self._checkpoint, LocalCheckpoint)

    def getCheckpointFile(self: RDD[Any]) -> str | None:
        mark = self._checkpoint
        return mark.path if isinstance(mark, ReliableCheckpoint) else None
