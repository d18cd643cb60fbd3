"""The DAG scheduler: cuts a job's lineage into stages at shuffles and runs them in order.

A job computes ``func`` over some partitions of an RDD.  Every ``ShuffledRDD`` in its
lineage whose map output does not exist yet needs a shuffle-map stage first (parents before
children); then one result stage runs.  Only this module turns lineage into executor tasks.

When an executor loses blocks with a worker (``BlocksLostError``), the job forgets the map
outputs that were among them, has the RDDs whose blocks have no lineage (``BlockRDD``: what
receivers stored) store theirs again (``restore_lost_blocks``), re-runs only the map tasks that
wrote the lost map outputs (and whatever their own lost inputs need) and then the stage's
tasks that had not finished, as Spark resubmits a stage after a fetch failure.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

from ember.executor.base import BlocksLostError, Executor, TaskContext, TaskFailedError
from ember.rdd.lineage import BlockRDD, ShuffledRDD
from ember.rdd.rdd import RDD, remove_blocks_of_collected
from ember.serde.codec import PairColumns
from ember.serde.hashing import HASHED_AS_BUILTIN, portable_hash

_stage_ids = itertools.count()
#: how often one job may find blocks lost before it fails (Spark's spark.stage.maxConsecutiveAttempts)
MAX_STAGE_ATTEMPTS = 4


@dataclass
class ShuffleMapTask:
    """Splits one partition of ``shuffle.prev`` into per-reducer blocks."""

    stage_id: int
    partition: int
    shuffle: ShuffledRDD
    #: local blocks the task reads (the executor runs it where they are kept)
    prefers: tuple[str, ...] = ()

    def run(self, context: TaskContext) -> frozenset[int]:
        shuffle = self.shuffle
        count, partition_func = shuffle.getNumPartitions(), shuffle.partition_func
        builtin = HASHED_AS_BUILTIN if partition_func is portable_hash else frozenset()
        keys: list[list] = [[] for _ in range(count)]
        values: list[list] = [[] for _ in range(count)]
        add_key = [bucket.append for bucket in keys]
        add_value = [bucket.append for bucket in values]
        records = iter(shuffle.prev.iterator(self.partition, context))
        blocks: list[Any]
        for record in records:
            if type(record) is not tuple:  # a list pair, say: it must arrive as it is
                blocks = self._rows(keys, values, itertools.chain((record,), records))
                break
            try:
                key, value = record
            except ValueError:
                _not_a_pair(record, self.partition)
            # _target, written out: this line runs once per record
            target = (hash(key) if type(key) in builtin else partition_func(key)) % count
            add_key[target](key)
            add_value[target](value)
        else:
            blocks = [PairColumns(*columns) for columns in zip(keys, values)]
        written = frozenset(target for target, block in enumerate(blocks) if len(block))
        for target in written:
            context.blocks.put_block(shuffle.shuffle_block_id(self.partition, target), blocks[target])
        return written

    def _rows(self, keys: list[list], values: list[list], rest: Iterator) -> list[list]:
        """Each bucket as a list of its records (the tuple pairs bucketed so far, then the rest
        of the records as they are), for a partition whose records are not all tuples."""
        rows = [list(zip(*columns)) for columns in zip(keys, values)]
        shuffle = self.shuffle
        for record in rest:
            try:
                key, _ = record
            except (TypeError, ValueError):
                _not_a_pair(record, self.partition)
            rows[_target(key, shuffle.partition_func, shuffle.getNumPartitions())].append(record)
        return rows


def _target(key, partition_func: Callable, count: int) -> int:
    """The reduce partition of ``key``: Python's own hash where it is the portable one."""
    builtin = partition_func is portable_hash and type(key) in HASHED_AS_BUILTIN
    return (hash(key) if builtin else partition_func(key)) % count


def _not_a_pair(record, partition: int) -> None:
    raise TypeError(
        f"a key/value operation expects (key, value) pairs, but partition {partition} holds "
        f"{type(record).__name__} {record!r:.80}"
    )


@dataclass
class ResultTask:
    """Applies the action's function to one partition of the final RDD."""

    stage_id: int
    partition: int
    rdd: RDD
    func: Callable[[Iterator], Any]
    prefers: tuple[str, ...] = ()

    def run(self, context: TaskContext) -> Any:
        return self.func(self.rdd.iterator(self.partition, context))


def maps_by_reducer(written: Sequence[frozenset[int] | None], reducers: int) -> tuple[tuple[int, ...], ...]:
    """For each reduce partition, the map partitions that wrote a block for it, from what each
    map task wrote: a reduce task looks up its own blocks instead of scanning every map's.
    Immutable, so it ships once per stage (``ember.executor.shipping``)."""
    maps: list[list[int]] = [[] for _ in range(reducers)]
    for map_split, targets in enumerate(written):
        assert targets is not None, "called once every map task of the stage has run"
        for target in targets:
            maps[target].append(map_split)
    return tuple(map(tuple, maps))


def missing_shuffles(rdd: RDD) -> list[ShuffledRDD]:
    """Shuffles in ``rdd``'s lineage with map outputs to compute (never run, or some lost),
    parents first."""
    ordered: list[ShuffledRDD] = []
    seen: set[int] = set()

    def visit(node: RDD) -> None:
        if node._id in seen or node.is_fully_cached() or node.isCheckpointed():
            return
        seen.add(node._id)
        if isinstance(node, ShuffledRDD) and node.map_outputs is not None:
            return
        for parent in node.dependencies():
            visit(parent)
        if isinstance(node, ShuffledRDD):
            ordered.append(node)

    visit(rdd)
    return ordered


def forget_lost_map_outputs(rdd: RDD, block_ids: list[str]) -> None:
    """Mark the map outputs of ``rdd``'s lineage that were among ``block_ids`` as missing."""
    for node in rdd.walk_lineage():
        if isinstance(node, ShuffledRDD) and node.map_written is not None:
            lost = node.lost_map_splits(block_ids)
            for split in lost:
                node.map_written[split] = None
            if lost:
                node.map_outputs = None


def restore_lost_blocks(rdd: RDD, block_ids: list[str]) -> None:
    """Have each ``BlockRDD`` of ``rdd``'s lineage store its blocks among ``block_ids`` again
    (they cannot be recomputed); raises when one cannot."""
    for node in rdd.walk_lineage():
        if isinstance(node, BlockRDD):
            node.restore_lost(block_ids)


class DAGScheduler:
    """Runs jobs on one executor and applies the accumulator updates of successful tasks."""

    def __init__(self, executor: Executor, accumulators: MutableMapping[int, Any]):
        self.executor = executor
        self.accumulators = accumulators

    def run_job(self, rdd: RDD, func: Callable[[Iterator], Any], partitions: Sequence[int]) -> list:
        remove_blocks_of_collected()
        stage_id = next(_stage_ids)
        tasks = [ResultTask(stage_id, p, rdd, func, rdd.local_blocks(p)) for p in partitions]
        done: dict[int, Any] = {}
        for attempt in range(1, MAX_STAGE_ATTEMPTS + 1):
            try:
                for shuffle in missing_shuffles(rdd):
                    self._run_map_stage(shuffle)
                self._run_stage(tasks, done)
                return [done[index] for index in range(len(tasks))]
            except BlocksLostError as lost:
                if attempt == MAX_STAGE_ATTEMPTS:
                    raise
                forget_lost_map_outputs(rdd, lost.block_ids)
                restore_lost_blocks(rdd, lost.block_ids)
        raise AssertionError("unreachable")

    def _run_map_stage(self, shuffle: ShuffledRDD) -> None:
        """Run the map tasks whose outputs are missing; those that finished count even when
        others lost their inputs."""
        written = shuffle.map_written or [None] * shuffle.prev.getNumPartitions()
        for split, targets in enumerate(written):
            if targets is None and shuffle.prev.holds_no_records(split):
                written[split] = frozenset()  # its task would write nothing: none runs
        missing = [split for split, targets in enumerate(written) if targets is None]
        stage_id = next(_stage_ids)
        done: dict[int, Any] = {}
        try:
            self._run_stage(
                [
                    ShuffleMapTask(stage_id, split, shuffle, shuffle.prev.local_blocks(split))
                    for split in missing
                ],
                done,
            )
        finally:
            for index, targets in done.items():
                written[missing[index]] = targets
            shuffle.map_written = written
        shuffle.map_outputs = maps_by_reducer(written, shuffle.getNumPartitions())

    def _run_stage(self, tasks: list, done: dict[int, Any]) -> None:
        """Run the tasks not in ``done`` yet and put their values there, by task index."""
        remaining = [index for index in range(len(tasks)) if index not in done]
        if not remaining:
            return
        try:
            results = self.executor.run_tasks([tasks[index] for index in remaining])
        except BlocksLostError as lost:
            self._complete(remaining, lost.completed, done)
            raise
        except TaskFailedError as failure:
            if failure.cause is None:
                raise
            failure.cause.add_note(f"(ember: {failure})")
            if failure.remote_traceback and failure.cause.__traceback__ is None:
                failure.cause.add_note("Traceback in the worker:\n" + failure.remote_traceback)
            raise failure.cause from None
        self._complete(remaining, dict(enumerate(results)), done)

    def _complete(self, remaining: list[int], results: dict, done: dict[int, Any]) -> None:
        for position, result in results.items():
            for aid, update in result.accumulator_updates.items():
                accumulator = self.accumulators.get(aid)
                if accumulator is not None:
                    accumulator._value = accumulator.accum_param.addInPlace(accumulator._value, update)
            done[remaining[position]] = result.value
