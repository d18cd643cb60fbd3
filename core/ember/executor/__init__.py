"""Executors: how the tasks of a stage run (in process, in a shared-memory pool, or via plugins).

This package's namespace is the author API of executor plugins (docs/plugins.md): the
interface, the task runner every executor shares, the function shipping of the pool (each
function sent once per worker) and the block codec.
"""

from ember.executor.base import (
    BlocksLostError,
    BlockStore,
    Executor,
    LocalBlocks,
    Service,
    ServiceHandle,
    ServiceHost,
    Task,
    TaskContext,
    TaskFailedError,
    TaskResult,
    WorkerStatus,
    run_task,
)
from ember.executor.shipping import FunctionCache, FunctionShipper, PickledStage, StageCommon
from ember.serde.codec import decode_block, encode_block

__all__ = [
    "BlockStore",
    "BlocksLostError",
    "Executor",
    "FunctionCache",
    "FunctionShipper",
    "LocalBlocks",
    "PickledStage",
    "Service",
    "ServiceHandle",
    "ServiceHost",
    "StageCommon",
    "Task",
    "TaskContext",
    "TaskFailedError",
    "TaskResult",
    "WorkerStatus",
    "decode_block",
    "encode_block",
    "run_task",
]
