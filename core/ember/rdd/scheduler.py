"""The DAG scheduler: cuts a job's lineage into stages at shuffles and runs them in order.

A job computes ``func`` over some partitions of an RDD.  Every ``ShuffledRDD`` in its
lineage whose map output does not exist yet needs a shuffle-map stage first (parents before
children); then one result stage runs.  Only this module turns lineage into executor tasks.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ember.executor.base import Executor, TaskContext, TaskFailedError
from ember.rdd.lineage import ShuffledRDD
from ember.rdd.rdd import RDD

_stage_ids = itertools.count()


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
        buckets: dict[int, list] = {}
        for record in shuffle.prev.iterator(self.partition, context):
            try:
                key, _ = record
            except (TypeError, ValueError):
                _not_a_pair(record, self.partition)
            target = partition_func(key) % count
            bucket = buckets.get(target)
            if bucket is None:
                bucket = buckets[target] = []
            bucket.append(record)
        for target, records in buckets.items():
            context.blocks.put_block(shuffle.shuffle_block_id(self.partition, target), records)
        return frozenset(buckets)


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


def missing_shuffles(rdd: RDD) -> list[ShuffledRDD]:
    """Shuffles in ``rdd``'s lineage whose map stage has not run, parents first."""
    ordered: list[ShuffledRDD] = []
    seen: set[int] = set()

    def visit(node: RDD) -> None:
        if node._id in seen or node.is_fully_cached():
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


class DAGScheduler:
    """Runs jobs on one executor and applies the accumulator updates of successful tasks."""

    def __init__(self, executor: Executor, accumulators: dict):
        self.executor = executor
        self.accumulators = accumulators

    def run_job(self, rdd: RDD, func: Callable[[Iterator], Any], partitions: Sequence[int]) -> list:
        for shuffle in missing_shuffles(rdd):
            stage_id = next(_stage_ids)
            tasks = [
                ShuffleMapTask(stage_id, m, shuffle, shuffle.prev.local_blocks(m))
                for m in range(shuffle.prev.getNumPartitions())
            ]
            shuffle.map_outputs = self._run_stage(tasks)
        stage_id = next(_stage_ids)
        return self._run_stage([ResultTask(stage_id, p, rdd, func, rdd.local_blocks(p)) for p in partitions])

    def _run_stage(self, tasks: list) -> list:
        if not tasks:
            return []
        try:
            results = self.executor.run_tasks(tasks)
        except TaskFailedError as failure:
            if failure.cause is None:
                raise
            failure.cause.add_note(f"(ember: {failure})")
            if failure.remote_traceback and failure.cause.__traceback__ is None:
                failure.cause.add_note("Traceback in the worker:\n" + failure.remote_traceback)
            raise failure.cause from None
        for result in results:
            for aid, update in result.accumulator_updates.items():
                accumulator = self.accumulators.get(aid)
                if accumulator is not None:
                    accumulator._value = accumulator.accum_param.addInPlace(accumulator._value, update)
        return [result.value for result in results]
