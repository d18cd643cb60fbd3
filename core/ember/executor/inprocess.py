"""The in-process reference executor behind ``local`` and ``local[1]``.

Tasks run one after another on the calling thread and blocks are plain lists in a dict, so
it is the simplest correct executor: the one the others are compared with.
"""
from __future__ import annotations

import threading
import traceback
from typing import Iterable, Sequence

from ember.executor.base import Executor, Task, TaskFailedError, TaskResult, run_task


class InProcessExecutor(Executor):
    def __init__(self, parallelism: int = 1, max_task_attempts: int = 1):
        self.default_parallelism = parallelism
        self.max_task_attempts = max_task_attempts
        self._blocks: dict[str, list] = {}
        self._lock = threading.Lock()

    def put_block(self, block_id: str, records: list) -> None:
        with self._lock:
            self._blocks[block_id] = records

    def get_block(self, block_id: str) -> list:
        with self._lock:
            return self._blocks[block_id]

    def has_block(self, block_id: str) -> bool:
        with self._lock:
            return block_id in self._blocks

    def remove_blocks(self, prefixes: Iterable[str]) -> None:
        prefixes = tuple(prefixes)
        with self._lock:
            for block_id in [b for b in self._blocks if b.startswith(prefixes)]:
                del self._blocks[block_id]

    def run_tasks(self, tasks: Sequence[Task]) -> list[TaskResult]:
        return [self._run_with_retries(task) for task in tasks]

    def _run_with_retries(self, task: Task) -> TaskResult:
        for attempt in range(self.max_task_attempts):
            try:
                return run_task(task, task.stage_id, attempt, self)
            except Exception as error:  # a user function failed: retry, then report it
                if attempt + 1 == self.max_task_attempts:
                    raise TaskFailedError(
                        f"Task {task.partition} in stage {task.stage_id} failed "
                        f"{self.max_task_attempts} time(s); most recent failure: "
                        f"{type(error).__name__}: {error}",
                        cause=error,
                        remote_traceback=traceback.format_exc(),
                    ) from error
        raise AssertionError("unreachable: max_task_attempts must be >= 1")

    def shutdown(self) -> None:
        with self._lock:
            self._blocks.clear()
