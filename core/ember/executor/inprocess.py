"""The in-process reference executor behind ``local`` and ``local[1]``.

Tasks run one after another on the calling thread, so it is the simplest correct executor:
the one the others are compared with.  Blocks are kept encoded, as the process pool keeps
them, so every read gives a task records of its own: a user function that changes a record in
place (or an aggregation merging into its first value) cannot alter an input slice, a shuffle
output or a cached partition that later jobs read again.  Each task still
goes through the same pickling as in the process pool (functions by digest, unpickled afresh
per task), so closures behave alike on every master: a task gets its own copy of what its
functions captured, and a closure that cannot be pickled fails here too.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Sequence

from ember.executor.base import (
    Executor,
    LocalBlocks,
    Task,
    TaskFailedError,
    TaskResult,
    WorkerStatus,
    run_task,
)
from ember.executor.shipping import FunctionCache, FunctionShipper, StageCommon
from ember.executor.tracebacks import format_for_user
from ember.serde.codec import decode_block, encode_block


class InProcessExecutor(Executor):
    def __init__(self, parallelism: int = 1, max_task_attempts: int = 1):
        super().__init__()
        self.default_parallelism = parallelism
        self.max_task_attempts = max_task_attempts
        self._blocks: dict[str, bytes] = {}
        self._local = LocalBlocks()
        self._lock = threading.Lock()
        self._shipping = threading.Lock()
        self._shipper = FunctionShipper()
        self._functions = FunctionCache()
        self._tasks_run = 0
        self._task_seconds = 0.0
        self._running = 0

    def put_block(self, block_id: str, records: list) -> None:
        data = encode_block(records, f"storing block {block_id!r}")
        with self._lock:
            self._blocks[block_id] = data

    def get_block(self, block_id: str) -> list:
        with self._lock:
            data = self._blocks[block_id]
        return decode_block(data)

    def has_block(self, block_id: str) -> bool:
        with self._lock:
            return block_id in self._blocks

    def remove_blocks(self, prefixes: Iterable[str]) -> None:
        prefixes = tuple(prefixes)
        with self._lock:
            for block_id in [b for b in self._blocks if b.startswith(prefixes)]:
                del self._blocks[block_id]
        self._local.drop(prefixes)

    def run_tasks(self, tasks: Sequence[Task]) -> list[TaskResult]:
        with self._shipping:  # jobs may be submitted from several threads
            stage = self._shipper.pickle_stage(tasks)
            self._functions.update(*self._shipper.updates_for(self, stage.needed))
        common = StageCommon(stage.common)
        return [self._run_counted(task, own, common) for task, own in zip(tasks, stage.tasks)]

    def _run_counted(self, task: Task, own, common: StageCommon) -> TaskResult:
        started = time.perf_counter()
        self._running += 1
        try:
            return self._run_with_retries(task, own, common)
        finally:
            self._running -= 1
            self._tasks_run += 1
            self._task_seconds += time.perf_counter() - started

    def worker_status(self) -> list[WorkerStatus]:
        """The driver's own thread is the one worker."""
        return [WorkerStatus("driver", os.getpid(), self._tasks_run, self._task_seconds, self._running > 0)]

    def block_bytes(self, block_id: str) -> int | None:
        with self._lock:
            data = self._blocks.get(block_id)
        return None if data is None else len(data)

    def _run_with_retries(self, task: Task, own, common: StageCommon) -> TaskResult:
        for attempt in range(self.max_task_attempts):
            try:
                return run_task(
                    self._functions.load_task(own, common), task.stage_id, attempt, self, self._local
                )
            except Exception as error:  # a user function failed: retry, then report it
                if attempt + 1 == self.max_task_attempts:
                    raise TaskFailedError(
                        f"Task {task.partition} in stage {task.stage_id} failed "
                        f"{self.max_task_attempts} time(s); most recent failure: "
                        f"{type(error).__name__}: {error}",
                        cause=error,
                        remote_traceback=format_for_user(error),
                    ) from error
        raise AssertionError("unreachable: max_task_attempts must be >= 1")

    def release_resources(self) -> None:
        with self._lock:
            self._blocks.clear()
        self._local.drop([""])
