"""The driver side: an ember ``Executor`` whose tasks run as Dask tasks.

Each stage is pickled once (functions by digest, ``FunctionShipper``), and each task is
submitted to the worker keeping a local block it prefers (``Task.prefers``: a stream's state
partition, kept in that worker's memory), else to the one chosen for its partition
(``partition % workers``, so a partition's cached blocks are written and read again on one
worker from batch to batch).  The first task of a stage sent to a worker carries the stage's
shipment (the functions that worker has not had yet, what the tasks share, the table of
where blocks are); later ones carry only their own pickle.  Dask may still run a task
elsewhere (its worker died, or work stealing): a worker that lacks the functions or the
shipment says so and the task is sent again with them.

Worker loss: Dask re-runs the tasks that were running there; blocks that were only there are
forgotten and reported lost to the DAG scheduler (``BlocksLostError``), which recomputes them
from lineage; the driver's own blocks are placed again; state blocks whose lineage was cut are
replicated on a second worker beforehand (``replicate_blocks``).  The worker list is read at
every stage, so a worker that joins takes tasks from the next one.

A failed stage: the workers are told (``abandon_stage``), so its tasks not started yet end at
once, and the failure is raised when the ones running have ended (a cancelled Dask future's
task would run on unseen, racing a sink's abort).

Receivers run on the workers as long-running Dask tasks (``start_service``, ``services``).
"""

from __future__ import annotations

import atexit
import threading
import traceback
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from distributed import as_completed

from ember.executor import (
    BlocksLostError,
    Executor,
    FunctionShipper,
    Service,
    ServiceHandle,
    Task,
    TaskFailedError,
    TaskResult,
    WorkerStatus,
    decode_block,
    encode_block,
)
from ember_dask.environment import EnvironmentPlugin
from ember_dask.locations import BlockTable
from ember_dask.masters import Connection, cluster_workers
from ember_dask.services import DaskServices
from ember_dask.worker_blocks import (
    BlocksPlugin,
    StageShipment,
    StaleWorkerError,
    TaskOutcome,
    abandon_stage,
    copy_blocks,
    drop_executor,
    read_blocks,
    run_shipped_task,
    update_blocks,
)

#: how often one task may lose its worker, or reach a worker lacking its functions, before
#: the stage fails (the local pool's limit)
MAX_WORKER_LOSSES = 4
#: how long a stage waits for a worker when the cluster has none (its workers restarting)
WAIT_FOR_WORKERS_SECONDS = 60


class DaskExecutor(Executor):
    def __init__(self, connection: Connection, max_task_attempts: int = 1, environment: dict | None = None):
        super().__init__()
        self._connection = connection
        self._client = connection.client
        self._id = uuid.uuid4().hex
        self.max_task_attempts = max_task_attempts
        self._client.register_plugin(BlocksPlugin(), name=BlocksPlugin.name)
        if environment:
            self._client.register_plugin(EnvironmentPlugin(environment), name=EnvironmentPlugin.name)
        self._blocks = BlockTable()
        self._shipper = FunctionShipper()
        self._lock = threading.Lock()  # one stage at a time
        self._tokens: dict[str, str] = {}  # worker address -> its holder's token
        self._done: dict[str, list] = {}  # worker address -> [pid, tasks, task seconds]
        self._workers: list[str] = []
        #: workers seen leaving so far (for tests and the benchmark's report)
        self.workers_lost = 0
        self._services: DaskServices | None = None
        threads = self._refresh_workers()
        self.default_parallelism = max(1, threads)
        atexit.register(self.shutdown)

    # -- the cluster -------------------------------------------------------------------------
    @property
    def client(self):
        """The ``distributed.Client`` this executor submits to."""
        return self._client

    @property
    def executor_id(self) -> str:
        """Names this executor's blocks, functions and service messages on the workers."""
        return self._id

    def _refresh_workers(self) -> int:
        """Read the scheduler's worker list; forget the workers gone.  Returns the threads."""
        workers = cluster_workers(self._client)
        if not workers:
            try:
                self._client.wait_for_workers(1, timeout=WAIT_FOR_WORKERS_SECONDS)
            except TimeoutError:
                raise RuntimeError(
                    f"the Dask cluster of {self._connection.description} has had no workers "
                    f"for {WAIT_FOR_WORKERS_SECONDS} s"
                ) from None
            workers = cluster_workers(self._client)
        for address in (set(self._workers) | self._blocks.holder_addresses()) - set(workers):
            self._worker_gone(address)
        self._workers = sorted(workers)
        return sum(info.get("nthreads", 1) for info in workers.values())

    def _worker_gone(self, address: str) -> None:
        self._blocks.worker_lost(address)
        self._shipper.drop_worker(address)
        self._tokens.pop(address, None)
        self.workers_lost += 1

    def _worker_seen(self, address: str, token: str) -> None:
        """A reply from ``address``: a new token there means its process was replaced."""
        known = self._tokens.get(address)
        if known is not None and known != token:
            self._worker_gone(address)
        self._tokens[address] = token

    def _worker_for(self, task: Task) -> str:
        """Where a local block ``task`` prefers is kept (Spark's preferred locations), else
        the worker of its partition."""
        address = self._blocks.local_holder(getattr(task, "prefers", ()))
        if address is not None and address in self._workers:
            return address
        return self._workers[task.partition % len(self._workers)]

    def _update_workers(self) -> None:
        """Hand the driver's new blocks to the workers they are placed on, each only its own,
        and make every worker drop the removed ones."""
        plan = self._blocks.placement(self._workers)
        removed = self._blocks.take_removed()
        local_drops = self._blocks.take_local_drops()
        calls = [([address], {address: blocks}) for address, blocks in plan.items()]
        others = [address for address in self._workers if address not in plan]
        if others and (removed or local_drops):
            calls.append((others, {}))
        replies = {}
        for workers, part in calls:
            replies.update(
                self._client.run(
                    update_blocks, self._id, part, removed, local_drops, workers=workers, on_error="return"
                )
            )
        for address, token in replies.items():
            if isinstance(token, str):
                self._worker_seen(address, token)
        self._blocks.placed({a: b for a, b in plan.items() if isinstance(replies.get(a), str)})

    # -- BlockStore ---------------------------------------------------------------------------
    def put_block(self, block_id: str, records: list) -> None:
        records = list(records)
        self._blocks.from_driver(block_id, encode_block(records, f"storing block {block_id!r}"), len(records))

    def get_block(self, block_id: str) -> list:
        data = self._blocks.driver_copy(block_id)
        for address in [] if data is not None else self._blocks.holders(block_id):
            replies = self._client.run(
                read_blocks, self._id, [block_id], workers=[address], on_error="return"
            )
            found = replies.get(address)
            if isinstance(found, dict) and block_id in found:
                data = found[block_id]
                break
        if data is None:
            raise KeyError(block_id)
        return decode_block(data)

    def has_block(self, block_id: str) -> bool:
        return self._blocks.has(block_id)

    def remove_blocks(self, prefixes: Iterable[str]) -> None:
        self._blocks.remove(tuple(prefixes))

    def block_bytes(self, block_id: str) -> int | None:
        size = self._blocks.size(block_id)
        return None if size is None else size[0]

    def blocks_by_worker(self) -> dict[str, tuple[int, int, int]]:
        """Each worker's (blocks, records, encoded bytes) as the driver tracks them."""
        return self._blocks.by_worker()

    def local_blocks_by_worker(self) -> dict[str, int]:
        """How many local blocks (objects in its memory, such as state partitions) each
        worker keeps, as the driver tracks them."""
        return self._blocks.local_by_worker()

    def replicate_blocks(self, block_ids: Sequence[str]) -> bool:
        with self._lock:
            self._refresh_workers()
            plan: dict[str, dict[str, list[str]]] = {}
            for block_id in block_ids:
                holders = self._blocks.holders(block_id)
                if len(holders) != 1 or len(self._workers) < 2:
                    continue
                others = [w for w in self._workers if w != holders[0]]
                target = others[hash(block_id) % len(others)]
                plan.setdefault(target, {}).setdefault(holders[0], []).append(block_id)
            if plan:
                replies = self._client.run(copy_blocks, self._id, plan, workers=list(plan), on_error="return")
                for address, copied in replies.items():
                    if isinstance(copied, list):
                        self._blocks.replicated(address, copied)
            return all(self._blocks.has(block_id) for block_id in block_ids)

    # -- services: receivers as long-running Dask tasks (``services``) ------------------------
    def host_service(
        self,
        service: Service,
        on_message: Callable[[Any], None],
        on_moved: Callable[[str], None],
        name: str,
    ) -> ServiceHandle:
        """A long-running Dask task on the worker hosting the fewest; Dask runs it again on
        another worker when its own is lost."""
        if self._services is None:
            self._services = DaskServices(self)
        return self._services.start(service, on_message, on_moved, name)

    def received_blocks(self, address: str, sizes: dict[str, tuple[int, int]], copies: list[str]) -> None:
        """A service on ``address`` stored blocks there, and copies of them on ``copies``."""
        self._blocks.written(address, sizes)
        for copy in copies:
            self._blocks.replicated(copy, sizes)

    # -- running a stage ----------------------------------------------------------------------
    def run_tasks(self, tasks: Sequence[Task]) -> list[TaskResult]:
        with self._lock:
            self._raise_if_shut_down()
            self._refresh_workers()
            self._update_workers()
            return _StageRun(self, tasks).run()

    def _finished(self, task: Task, outcome: TaskOutcome) -> None:
        self._worker_seen(outcome.address, outcome.token)
        self._blocks.written(outcome.address, outcome.written)
        result = outcome.result
        self._blocks.kept_local(outcome.address, result.kept, result.dropped, getattr(task, "prefers", ()))
        done = self._done.setdefault(outcome.address, [outcome.pid, 0, 0.0])
        done[0] = outcome.pid
        done[1] += 1
        done[2] += outcome.seconds

    def worker_status(self) -> list[WorkerStatus]:
        return [
            WorkerStatus(address, pid, tasks, seconds, False)
            for address, (pid, tasks, seconds) in sorted(self._done.items())
        ]

    @property
    def function_payloads_sent(self) -> int:
        """How many function pickles went to workers: each function once per worker."""
        return self._shipper.payloads_sent

    def release_resources(self) -> None:
        """Drop this context's blocks and functions from the workers; close a client it opened."""
        atexit.unregister(self.shutdown)
        if self._services is not None:
            self._services.close()
        with self._lock:
            try:
                self._client.run(drop_executor, self._id, on_error="return")
            except Exception:  # noqa: BLE001 - the cluster may be gone already
                pass
            if self._connection.owned:
                self._client.close()


class _StageRun:
    """Submits one stage's tasks and settles each as it completes."""

    def __init__(self, executor: DaskExecutor, tasks: Sequence[Task]):
        self.executor, self.tasks = executor, list(tasks)
        self.stage = executor._shipper.pickle_stage(self.tasks)
        #: names this pickled stage on the workers: a stage re-run after a loss (the same stage
        #: id, fewer tasks) is pickled anew, and must not meet the shared part of the first run
        self.shipment = uuid.uuid4().hex
        self.needed = self.stage.needed
        self.locations = executor._blocks.snapshot()
        self.shipped: set[str] = set()  # workers sent this stage's shipment
        self.pending: dict = {}  # future -> (task index, attempt)
        self.results: dict[int, TaskResult] = {}
        self.lost_blocks: set[str] = set()
        self.losses = [0] * len(self.tasks)
        self.failures: dict[int, TaskFailedError] = {}
        self.completed = as_completed(loop=executor._client.loop)

    def run(self) -> list[TaskResult]:
        try:
            for index, task in enumerate(self.tasks):
                self._submit(index, 0, self.executor._worker_for(task))
            for future in self.completed:
                index, attempt = self.pending.pop(future)
                try:
                    self._settle(future, index, attempt)
                finally:
                    future.release()  # else Dask would run it again if its worker died
                if self.failures and self._settled_below(min(self.failures)):
                    raise self.failures[min(self.failures)]
        except TaskFailedError:
            self._let_running_tasks_end()
            raise
        except BaseException:
            self.executor._client.cancel(list(self.pending))
            raise
        if self.lost_blocks:  # all those known lost: the DAG scheduler rebuilds them in one go
            raise BlocksLostError(self.lost_blocks | self.executor._blocks.lost(), self.results)
        return [self.results[index] for index in range(len(self.tasks))]

    def _let_running_tasks_end(self) -> None:
        """Wait for the failed stage's other tasks, dropping what they return: the workers are
        told the stage failed, so a task that has not started ends at once, and the failure is
        reported once none of them runs (a sink's ``abort_batch`` never races a task still
        writing; a cancelled Dask future's task would run on unseen)."""
        if not self.pending:
            return
        client = self.executor._client
        client.run(
            abandon_stage, self.executor._id, self.shipment, workers=self.executor._workers, on_error="return"
        )
        for future in self.completed:
            self.pending.pop(future, None)
            future.release()
            if not self.pending:
                return

    def _settled_below(self, index: int) -> bool:
        """Whether every task before ``index`` has ended: the stage then fails with the first
        failed task's error, whichever failed first in time (as the tests of every master expect)."""
        pending = {position for position, _ in self.pending.values()}
        return not any(position in pending for position in range(index))

    def _submit(self, index: int, attempt: int, address: str) -> None:
        shipment = None
        if address not in self.shipped:
            self.shipped.add(address)
            functions = self.executor._shipper.updates_for(address, self.needed)
            shipment = StageShipment(functions, self.stage.common, self.locations)
        task = self.tasks[index]
        future = self.executor._client.submit(
            run_shipped_task,
            self.executor._id,
            self.shipment,
            shipment,
            self.stage.tasks[index],
            attempt,
            key=f"ember-task-{task.stage_id}-{task.partition}-{uuid.uuid4().hex[:12]}",
            workers=[address],
            allow_other_workers=True,
            pure=False,
        )
        self.pending[future] = (index, attempt)
        self.completed.add(future)

    def _settle(self, future, index: int, attempt: int) -> None:
        if future.status == "finished":
            outcome: TaskOutcome = future.result()
            self.executor._finished(self.tasks[index], outcome)
            self.results[index] = outcome.result
            return
        error = future.exception() if future.status == "error" else None
        if isinstance(error, StaleWorkerError):
            self.executor._shipper.drop_worker(error.address)
            self.shipped.discard(error.address)
            self._lost_worker(index, attempt, f"reached {error.address} without {error.what}", error.address)
        elif isinstance(error, BlocksLostError):
            self.lost_blocks.update(error.block_ids)
            for block_id in error.block_ids:
                for address in self.executor._blocks.holders(block_id):
                    self.executor._worker_gone(address)
        elif error is None or type(error).__name__ == "KilledWorker":
            self.executor._refresh_workers()
            self._lost_worker(
                index,
                attempt,
                f"lost its worker ({error or future.status})",
                self.executor._worker_for(self.tasks[index]),
            )
        elif attempt + 1 < self.executor.max_task_attempts:
            self._submit(index, attempt + 1, self.executor._worker_for(self.tasks[index]))
        else:
            task = self.tasks[index]
            self.failures[index] = TaskFailedError(
                f"Task {task.partition} in stage {task.stage_id} failed {self.executor.max_task_attempts} "
                f"time(s); most recent failure: {type(error).__name__}: {error}",
                cause=error,
                remote_traceback="".join(traceback.format_tb(future.traceback())),
            )

    def _lost_worker(self, index: int, attempt: int, how: str, address: str) -> None:
        self.losses[index] += 1
        if self.losses[index] >= MAX_WORKER_LOSSES:
            task = self.tasks[index]
            raise TaskFailedError(
                f"Task {task.partition} in stage {task.stage_id} {how}, "
                f"{self.losses[index]} times; giving up"
            )
        self._submit(index, attempt, address)
