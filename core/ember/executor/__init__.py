"""Executors: how the tasks of a stage run (in process, in a shared-memory pool, or via plugins)."""

from ember.executor.base import BlockStore, Executor, Task, TaskContext, TaskFailedError, TaskResult

__all__ = ["BlockStore", "Executor", "Task", "TaskContext", "TaskFailedError", "TaskResult"]
