"""A worker process of the local[N] pool: runs one task at a time for its driver.

Started by ``ember.executor.pool`` as ``python -m ember.executor.worker <fd> <service fd>``
with ``PYTHONHASHSEED=0``; ``fd`` is its end of a socket pair to the driver for tasks,
``service fd`` the one for the services (receivers) it hosts beside them (``services``).  The first message
gives the driver's ``sys.path`` (so a job's own modules import), the pool's segment space and
the modules to import before the first task; the worker answers ``READY``; then each message is
a task (with what its stage's tasks have in common when that is new to this worker), each reply
its result or its failure (and the local blocks the task kept or dropped: objects the worker
holds for later tasks).  An empty message means stop.  End of file means the driver died:
the worker removes the pool's segments and exits.
"""

from __future__ import annotations

import gc
import importlib
import pickle
import signal
import sys
from multiprocessing.connection import Connection

import cloudpickle

from ember.executor.base import LocalBlocks, run_task
from ember.executor.segments import SegmentStore
from ember.executor.services import ServiceRunner
from ember.executor.shipping import FunctionCache, StageCommon
from ember.executor.tracebacks import format_for_user
from ember.serde.codec import encode, encode_value

#: results larger than this go back through shared memory instead of the socket
INLINE_RESULT_LIMIT = 64 * 1024

OK, FAILED = 0, 1
#: the first message of a worker: it has started and can take tasks
READY = b"ready"


def main() -> None:
    # Ctrl-C reaches the whole process group; the driver decides how to stop, not the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    connection = Connection(int(sys.argv[1]))
    try:
        driver_path, space, preload = pickle.loads(connection.recv_bytes())
    except (EOFError, OSError):
        return
    sys.path[:] = driver_path
    for module in preload:  # what the tasks will unpickle, named by whoever made the pool
        importlib.import_module(module)
    # What start-up built (modules, classes, functions) lives as long as the worker: kept out
    # of the cycle collector's scans, the full scans the tasks' allocations trigger stay short.
    gc.freeze()

    store = SegmentStore(space)
    functions = FunctionCache()
    local = LocalBlocks()
    ServiceRunner(Connection(int(sys.argv[2])), store).start()
    stage_common: StageCommon | None = None  # of the stage being run: sent once per worker
    try:
        connection.send_bytes(READY)
        while True:
            message = connection.recv_bytes()
            if not message:
                return
            task_id, attempt, new_functions, forget, drop_local, common, own = pickle.loads(message)
            functions.update(new_functions, forget)
            local.drop(drop_local)
            if common is not None:
                stage_common = StageCommon(common)
            reply = _run(task_id, attempt, own, stage_common, functions, store, local)
            _flush_output()
            connection.send_bytes(reply)
    except (EOFError, OSError):
        store.remove_all()  # the driver is gone: nobody else will clean up


def _run(
    task_id: int,
    attempt: int,
    own: bytes | int,
    common: StageCommon | None,
    functions: FunctionCache,
    store: SegmentStore,
    local: LocalBlocks,
) -> bytes:
    """Run one task attempt; the reply is its encoded result or its exception and traceback."""
    try:
        assert common is not None, "the driver sends a stage's shared values with its first task"
        task = functions.load_task(own, common)
        result = run_task(task, task.stage_id, attempt, store, local)
        operation = f"returning the result of task {task.partition} in stage {task.stage_id}"
        payload = encode_value(result.value, operation)
        updates = encode(result.accumulator_updates, operation)
        kept = (result.kept, result.dropped)
        if len(payload) <= INLINE_RESULT_LIMIT:
            return pickle.dumps((task_id, OK, payload, None, updates, kept))
        block_id = f"result/{task_id}"
        store.put_encoded(block_id, payload)
        return pickle.dumps((task_id, OK, None, block_id, updates, kept))
    except Exception as error:  # noqa: BLE001 - every failure of user code goes to the driver
        return pickle.dumps(
            (
                task_id,
                FAILED,
                _pickled_exception(error),
                f"{type(error).__module__}.{type(error).__qualname__}: {error}",
                format_for_user(error),
            )
        )


def _pickled_exception(error: BaseException) -> bytes | None:
    """The exception itself when it survives pickling (the driver re-raises its type)."""
    try:
        data = cloudpickle.dumps(error)
        pickle.loads(data)
        return data
    except Exception:  # noqa: BLE001 - the description and traceback still go back
        return None


def _flush_output() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass


if __name__ == "__main__":
    main()
