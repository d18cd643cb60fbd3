"""The local[N] executor: a pool of N worker processes kept for the whole SparkContext.

Workers are started in parallel when the pool is created (``python -m ember.executor.worker``
through ``subprocess``, not ``multiprocessing``: no fork of a driver that has threads, and no
re-import of the job's ``__main__`` as the spawn method does).  Blocks live in shared memory
(``segments``), which every worker reads and writes directly; the socket to each worker only
carries task pickles (what a stage's tasks share once per worker), function pickles the first
time a worker needs them (``shipping``), and small results.

A worker that dies (SIGKILL, segfault, out of memory) is replaced and its task re-run
elsewhere, without counting as a failed attempt, up to ``MAX_WORKER_LOSSES`` times per task;
the services (receivers) it hosted start again on another worker (``services``).
A user exception counts as an attempt: the task is retried until ``max_task_attempts``
(``local[N,F]``) attempts failed, then the stage fails with the user's own exception.
"""

from __future__ import annotations

import atexit
import itertools
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any

from ember.executor.base import (
    Executor,
    Service,
    ServiceHandle,
    Task,
    TaskFailedError,
    TaskResult,
    WorkerStatus,
)
from ember.executor.segments import SegmentSpace, SegmentStore
from ember.executor.services import ServiceHub
from ember.executor.shipping import FunctionShipper
from ember.executor.worker import OK, READY
from ember.serde.codec import decode, decode_block

#: how often one task may lose its worker before the stage fails (Spark's default 4 attempts)
MAX_WORKER_LOSSES = 4
_task_ids = itertools.count()


class WorkerProcess:
    """One worker: its process, the driver's end of its socket, and the task it runs."""

    def __init__(self, space: SegmentSpace, env: dict[str, str], preload: Sequence[str]):
        driver_end, worker_end = socket.socketpair()
        services_driver_end, services_worker_end = socket.socketpair()
        fds = [worker_end.fileno(), services_worker_end.fileno()]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ember.executor.worker", *map(str, fds)], pass_fds=fds, env=env
        )
        worker_end.close()
        services_worker_end.close()
        self.connection = Connection(driver_end.detach())
        #: the socket of the services (receivers) it hosts, read by the pool's ServiceHub
        self.service_connection = Connection(services_driver_end.detach())
        self.service_sending = threading.Lock()
        self.task_id: int | None = None
        self.ready = False
        #: for monitoring: tasks answered, their time from dispatch to reply, the current start
        self.tasks_done = 0
        self.task_seconds = 0.0
        self.task_started = 0.0
        driver_path = [os.path.abspath(entry or os.curdir) for entry in sys.path]
        try:
            self.connection.send_bytes(pickle.dumps((driver_path, space, list(preload))))
        except OSError:  # it died at once: its first message will tell
            pass

    @property
    def pid(self) -> int:
        return self.process.pid

    def task_finished(self) -> None:
        self.tasks_done += 1
        self.task_seconds += time.perf_counter() - self.task_started

    def describe_exit(self) -> str:
        code = self.process.wait()
        if code < 0:
            return f"killed by {signal.Signals(-code).name}"
        return f"exited with code {code}"

    def close(self) -> None:
        self.connection.close()


def worker_environment(conf) -> dict[str, str]:
    """The driver's environment, a fixed hash seed, and ``spark.executorEnv.*`` settings."""
    env = dict(os.environ)
    env["PYTHONHASHSEED"] = "0"
    if conf is not None:
        for key, value in conf.getAll():
            if key.startswith("spark.executorEnv."):
                env[key[len("spark.executorEnv.") :]] = value
    return env


class ProcessPoolExecutor(Executor):
    """``local[N]`` with N >= 2: tasks run in N worker processes, blocks in shared memory.

    ``preload`` names the modules every worker imports before it reports ready (what tasks
    unpickle, e.g. the RDD scheduler's task classes), so the first task does not pay for them.
    """

    def __init__(self, workers: int, max_task_attempts: int = 1, conf=None, preload: Sequence[str] = ()):
        super().__init__()
        self.default_parallelism = workers
        self.max_task_attempts = max_task_attempts
        self._space = SegmentSpace.create(conf)
        self._store = SegmentStore(self._space)
        self._shipper = FunctionShipper()
        self._env = worker_environment(conf)
        self._preload = tuple(preload)
        self._lock = threading.Lock()  # one stage at a time
        self._workers = [WorkerProcess(self._space, self._env, self._preload) for _ in range(workers)]
        self._hub: ServiceHub | None = None
        #: local block id -> the worker keeping it; prefixes each worker must still drop
        self._local_where: dict[str, WorkerProcess] = {}
        self._local_drops: dict[WorkerProcess, list[str]] = {}
        self._local_lock = threading.Lock()
        #: workers lost and replaced so far (for tests and the benchmark's report)
        self.workers_replaced = 0
        atexit.register(self.shutdown)

    # -- BlockStore: the driver reads and writes the same shared segments as the workers ----------
    def put_block(self, block_id: str, records: list) -> None:
        self._store.put_block(block_id, records)

    def get_block(self, block_id: str) -> list:
        return self._store.get_block(block_id)

    def has_block(self, block_id: str) -> bool:
        return self._store.has_block(block_id)

    def remove_blocks(self, prefixes: Iterable[str]) -> None:
        prefixes = tuple(prefixes)
        self._store.remove_blocks(prefixes)
        with self._local_lock:
            gone = [block_id for block_id in self._local_where if block_id.startswith(prefixes)]
            for block_id in gone:
                self._local_drops.setdefault(self._local_where.pop(block_id), []).extend(
                    p for p in prefixes if block_id.startswith(p)
                )

    # -- local blocks: which worker keeps what (so a task runs where its blocks are) -------------
    def _preferred_worker(self, task: Task) -> WorkerProcess | None:
        with self._local_lock:
            for block_id in getattr(task, "prefers", ()):
                worker = self._local_where.get(block_id)
                if worker is not None and worker in self._workers:
                    return worker
        return None

    def _local_changes(self, worker: WorkerProcess, kept: list[str], dropped: list[str]) -> None:
        with self._local_lock:
            for block_id in dropped:
                if self._local_where.get(block_id) is worker:
                    del self._local_where[block_id]
            for block_id in kept:
                self._local_where[block_id] = worker

    def _drops_for(self, worker: WorkerProcess) -> list[str]:
        with self._local_lock:
            return sorted(set(self._local_drops.pop(worker, ())))

    @property
    def function_payloads_sent(self) -> int:
        """How many function pickles went to workers: each function once per worker."""
        return self._shipper.payloads_sent

    @property
    def distinct_functions(self) -> int:
        return self._shipper.distinct_functions

    @property
    def worker_pids(self) -> list[int]:
        return [worker.pid for worker in self._workers]

    def worker_status(self) -> list[WorkerStatus]:
        """Per worker slot; a replaced worker's slot starts again from zero."""
        return [
            WorkerStatus(
                f"worker-{index}",
                worker.pid,
                worker.tasks_done,
                worker.task_seconds,
                worker.task_id is not None,
            )
            for index, worker in enumerate(list(self._workers))
        ]

    def shm_bytes(self) -> int | None:
        return self._store.shm_bytes()

    def block_bytes(self, block_id: str) -> int | None:
        return self._store.block_bytes(block_id)

    # -- services: receivers hosted by the workers -------------------------------------------
    def host_service(
        self,
        service: Service,
        on_message: Callable[[Any], None],
        on_moved: Callable[[str], None],
        name: str,
    ) -> ServiceHandle:
        """Run ``service`` in the worker hosting the fewest; moved when that worker dies."""
        if self._hub is None:
            self._hub = ServiceHub(self)
        return self._hub.start(service, on_message, on_moved)

    # -- running a stage ---------------------------------------------------------------------
    def run_tasks(self, tasks: Sequence[Task]) -> list[TaskResult]:
        with self._lock:
            self._raise_if_shut_down()
            return _StageRun(self, tasks).run()

    def _replace(self, worker: WorkerProcess) -> WorkerProcess:
        """Start a worker in a dead one's place and clear what the dead one left."""
        if self._closed:  # shutdown() killed it: the running job ends here
            raise RuntimeError("the SparkContext was stopped while this job was running")
        worker.close()
        worker.process.kill()
        worker.process.wait()
        self._store.remove_partial_writes(worker.pid)
        self._shipper.drop_worker(worker)
        with self._local_lock:  # what it kept in its memory is gone with it
            self._local_where = {b: w for b, w in self._local_where.items() if w is not worker}
            self._local_drops.pop(worker, None)
        replacement = WorkerProcess(self._space, self._env, self._preload)
        self._workers[self._workers.index(worker)] = replacement
        self.workers_replaced += 1
        return replacement

    def release_resources(self) -> None:
        """Stop at once: workers are killed (a running job fails), then every block goes."""
        atexit.unregister(self.shutdown)
        for worker in list(self._workers):
            worker.process.kill()
        if self._hub is not None:
            self._hub.close()
        with self._lock:  # a running stage sees its workers gone and lets go
            for worker in self._workers:
                worker.process.wait()
                worker.close()
            self._store.remove_all()


class _StageRun:
    """Dispatches one stage's tasks to idle workers and collects their replies."""

    def __init__(self, pool: ProcessPoolExecutor, tasks: Sequence[Task]):
        self.pool, self.tasks = pool, tasks
        self.stage = pool._shipper.pickle_stage(tasks)
        self.holding_stage: set[WorkerProcess] = set()  # workers sent what the stage's tasks share
        self.pending = deque((index, 0) for index in range(len(tasks)))
        self.running: dict[int, tuple[int, int]] = {}  # task id -> (task index, attempt)
        self.losses = [0] * len(tasks)
        self.results: list[TaskResult | None] = [None] * len(tasks)
        self.remaining = len(tasks)

    def run(self) -> list[TaskResult]:
        try:
            while self.remaining:
                self._dispatch()
                watched: dict[Any, WorkerProcess] = {
                    w.connection: w for w in self.pool._workers if w.task_id is not None or not w.ready
                }
                for connection in wait(list(watched)):
                    worker = watched[connection]
                    if worker.ready:
                        self._receive(worker)
                    else:
                        self._started(worker)
        except TaskFailedError:
            self._let_running_tasks_end()
            raise
        return self.results  # type: ignore[return-value]

    def _let_running_tasks_end(self) -> None:
        """Wait for the failed stage's other running tasks, dropping what they return: the
        failure is reported once none of them runs, so that what follows it (a sink's
        ``abort_batch``) never races a task still writing."""
        self.pending.clear()
        while self.running:
            busy: dict[Any, WorkerProcess] = {
                w.connection: w for w in self.pool._workers if w.task_id in self.running
            }
            if not busy:
                return
            for connection in wait(list(busy)):
                try:
                    self._receive(busy[connection])
                except TaskFailedError:
                    pass  # the stage reports its first failure

    def _dispatch(self) -> None:
        """Send pending tasks to idle workers that have started (the first job need not wait
        for the slowest worker to start)."""
        for worker in list(self.pool._workers):
            if not self.pending:
                return
            if worker.task_id is not None or not worker.ready:
                continue
            chosen = self._task_for(worker)
            if chosen is None:
                continue
            index, attempt = chosen
            task_id = next(_task_ids)
            new, forget = self.pool._shipper.updates_for(worker, self.stage.needed)
            common = None if worker in self.holding_stage else self.stage.common
            message = pickle.dumps(
                (
                    task_id,
                    attempt,
                    new,
                    forget,
                    self.pool._drops_for(worker),
                    common,
                    self.stage.tasks[index],
                ),
                protocol=pickle.HIGHEST_PROTOCOL,
            )
            try:
                worker.connection.send_bytes(message)
            except OSError:  # it died while idle: replace it, the task waits for the next one
                self.pending.appendleft((index, attempt))
                self.pool._replace(worker)
                continue
            worker.task_id = task_id
            self.holding_stage.add(worker)
            worker.task_started = time.perf_counter()
            self.running[task_id] = (index, attempt)

    def _task_for(self, worker: WorkerProcess) -> tuple[int, int] | None:
        """The first pending task that prefers ``worker`` or no live worker (a task whose local
        blocks another worker keeps waits for that one)."""
        for position, (index, attempt) in enumerate(self.pending):
            if self.pool._preferred_worker(self.tasks[index]) in (worker, None):
                del self.pending[position]
                return index, attempt
        return None

    def _started(self, worker: WorkerProcess) -> None:
        try:
            message = worker.connection.recv_bytes()
        except (EOFError, OSError):
            message = None
        if message == READY:
            worker.ready = True
        elif worker.process.wait() < 0:  # killed while starting (a signal, the OOM killer)
            self.pool._replace(worker)
        else:
            raise RuntimeError(
                f"A worker process of the local[{self.pool.default_parallelism}] pool failed to "
                f"start ({worker.describe_exit()}); its error output is above. Workers run "
                f"`{sys.executable} -m ember.executor.worker` with the driver's sys.path."
            )

    def _receive(self, worker: WorkerProcess) -> None:
        task_id, worker.task_id = worker.task_id, None
        try:
            reply = pickle.loads(worker.connection.recv_bytes())
        except (EOFError, OSError):
            self._worker_lost(worker, task_id)
            return
        if task_id not in self.running:  # a straggler of an earlier, failed stage
            if reply[1] == OK and reply[3] is not None:
                self.pool._store.remove_blocks([reply[3]])
            return
        index, attempt = self.running.pop(task_id)
        worker.task_finished()
        if reply[1] == OK:
            self.results[index] = self._result(reply)
            self.pool._local_changes(worker, *reply[5])
            self.remaining -= 1
        elif attempt + 1 < self.pool.max_task_attempts:
            self.pending.append((index, attempt + 1))
        else:
            self._fail(index, reply)

    def _result(self, reply) -> TaskResult:
        _, _, payload, block_id, updates, _ = reply
        if block_id is not None:
            store = self.pool._store
            value = store.read_block(block_id, decode_block)
            store.remove_blocks([block_id])
        else:
            value = decode_block(payload)
        return TaskResult(value, decode(updates))

    def _worker_lost(self, worker: WorkerProcess, task_id: int | None) -> None:
        how = worker.describe_exit()
        self.pool._replace(worker)
        if task_id not in self.running:
            return
        index, attempt = self.running.pop(task_id)
        self.losses[index] += 1
        if self.losses[index] >= MAX_WORKER_LOSSES:
            task = self.tasks[index]
            raise TaskFailedError(
                f"Task {task.partition} in stage {task.stage_id} lost its worker process "
                f"{self.losses[index]} times (last one {how}); giving up"
            )
        self.pending.appendleft((index, attempt))

    def _fail(self, index: int, reply) -> None:
        _, _, pickled_error, description, remote_traceback = reply
        task = self.tasks[index]
        cause = _unpickle_exception(pickled_error, description)
        raise TaskFailedError(
            f"Task {task.partition} in stage {task.stage_id} failed "
            f"{self.pool.max_task_attempts} time(s); most recent failure: {description}",
            cause=cause,
            remote_traceback=remote_traceback,
        )


class RemoteTaskError(Exception):
    """Stands for a worker's exception that could not be pickled back to the driver."""


def _unpickle_exception(data: bytes | None, description: str) -> BaseException:
    if data is not None:
        try:
            return pickle.loads(data)
        except Exception:  # noqa: BLE001 - fall back to the description below
            pass
    return RemoteTaskError(description)
