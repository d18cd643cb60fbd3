"""The executor interface: how the tasks of one stage run, and where their blocks live.

The driver (``ember.rdd.scheduler``) cuts a job into stages and hands each stage's tasks to an
``Executor``.  An executor only has to run picklable ``Task`` objects and keep named blocks
(lists of records) where every task can read them; it knows nothing of RDDs or DStreams.  The
in-process executor, the shared-memory process pool and a Dask plugin all implement this.
Besides tasks, an executor hosts long-running ``Service``s (receivers) that take no task slot
and store blocks where they run, as Spark runs receivers on its executors.
"""

from __future__ import annotations

import logging
import pickle
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import cloudpickle

_log = logging.getLogger("ember.executor")


class BlockStore(ABC):
    """Named, immutable lists of records that every task of a job can read.

    Block ids are strings such as ``"shuffle/3/0/1"``; ``remove_blocks`` takes id prefixes so
    that a whole shuffle or cached RDD can be dropped at once.
    """

    @abstractmethod
    def put_block(self, block_id: str, records: list) -> None:
        """Store ``records`` under ``block_id`` (replacing an earlier block of that id)."""

    @abstractmethod
    def get_block(self, block_id: str) -> list:
        """Return the records of ``block_id``; ``KeyError`` when there is none."""

    @abstractmethod
    def has_block(self, block_id: str) -> bool:
        """Whether ``block_id`` is stored."""

    @abstractmethod
    def remove_blocks(self, prefixes: Iterable[str]) -> None:
        """Drop every block whose id starts with one of ``prefixes``."""

    def block_bytes(self, block_id: str) -> int | None:
        """Stored size of ``block_id`` (encoded), None when unknown or not stored."""
        return None


class LocalBlocks:
    """Objects a process keeps in its own memory between tasks, by block id, never encoded (a
    stateful stream's state partitions).  Only tasks that run in the same process see them:
    the executor places a task that prefers one of them (``Task.prefers``) where it is."""

    def __init__(self):
        self._objects: dict[str, Any] = {}
        self._lock = threading.Lock()

    def get(self, block_id: str) -> Any:
        """The object kept as ``block_id`` here; ``KeyError`` when this process has none."""
        with self._lock:
            return self._objects[block_id]

    def keep(self, block_id: str, value: Any) -> None:
        with self._lock:
            self._objects[block_id] = value

    def discard(self, block_id: str) -> bool:
        """Forget ``block_id`` itself; whether it was kept here."""
        with self._lock:
            return self._objects.pop(block_id, self) is not self

    def drop(self, prefixes: Iterable[str]) -> list[str]:
        """Forget every object whose id starts with one of ``prefixes``; returns their ids."""
        prefixes = tuple(prefixes)
        with self._lock:
            dropped = [block_id for block_id in self._objects if block_id.startswith(prefixes)]
            for block_id in dropped:
                del self._objects[block_id]
        return dropped


class TaskContext:
    """What a running task sees: its partition, its attempt, the blocks and its accumulators.

    ``TaskContext.get()`` returns the context of the task running on this thread, or ``None``
    on the driver, which is how broadcast variables and accumulators know where they are.
    """

    _local = threading.local()

    def __init__(
        self,
        stage_id: int,
        partition_id: int,
        attempt_number: int,
        blocks: BlockStore,
        local: LocalBlocks | None = None,
    ):
        self.stage_id = stage_id
        self.partition_id = partition_id
        self.attempt_number = attempt_number
        self.blocks = blocks
        self.local = local if local is not None else LocalBlocks()
        self.accumulator_updates: dict[int, Any] = {}
        #: local blocks this task kept and dropped, so the executor knows where each one is
        self.kept: list[str] = []
        self.dropped: list[str] = []
        self._completion_listeners: list[Callable[[TaskContext], None]] = []

    def keep_local(self, block_id: str, value: Any) -> None:
        """Keep ``value`` in this process's memory for later tasks (``LocalBlocks``)."""
        self.local.keep(block_id, value)
        self.kept.append(block_id)

    def local_block(self, block_id: str) -> Any:
        """What this process keeps as ``block_id``; ``KeyError`` when it keeps none."""
        return self.local.get(block_id)

    def drop_local(self, block_id: str) -> None:
        if self.local.discard(block_id):
            self.dropped.append(block_id)

    @classmethod
    def get(cls) -> TaskContext | None:
        return getattr(cls._local, "current", None)

    def partitionId(self) -> int:  # PySpark's name
        return self.partition_id

    def attemptNumber(self) -> int:  # PySpark's name
        return self.attempt_number

    def stageId(self) -> int:  # PySpark's name
        return self.stage_id

    def addTaskCompletionListener(self, listener: Callable[[TaskContext], None]) -> TaskContext:
        """Call ``listener(context)`` when this task ends, whether it succeeded or failed, on
        the task's own thread, the newest listener first (Spark's Scala API).  A source closes
        there what a read opened: a read the task gave up part way (a later function raised)
        is closed when the task ends, not whenever the garbage collector gets to it, on
        whichever thread that is."""
        self._completion_listeners.append(listener)
        return self

    def __enter__(self) -> TaskContext:
        self._previous = TaskContext.get()
        TaskContext._local.current = self
        return self

    def __exit__(self, failure_type, failure, traceback) -> None:
        try:
            while self._completion_listeners:
                listener = self._completion_listeners.pop()
                try:
                    listener(self)
                except Exception:
                    if failure_type is None:
                        raise  # the task fails with it
                    _log.warning("a task completion listener failed after its task had failed", exc_info=True)
        finally:
            TaskContext._local.current = self._previous


class Task(Protocol):
    """One unit of work: a partition of a stage.  Must be picklable (cloudpickle).

    A task may also have ``prefers``: ids of local blocks (``LocalBlocks``) it reads, so that
    an executor with several processes runs it where they are kept."""

    stage_id: int
    partition: int

    def run(self, context: TaskContext) -> Any:
        """Compute this partition and return the task's result (small: results go to the driver)."""


@dataclass
class TaskResult:
    """The outcome of a task's successful attempt; failed attempts report nothing."""

    value: Any
    accumulator_updates: dict[int, Any] = field(default_factory=dict)
    #: local blocks the task kept and dropped where it ran
    kept: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


class TaskFailedError(Exception):
    """A task failed on its last allowed attempt.

    ``cause`` is the user's original exception (re-raised by the driver, so callers see its
    own type); ``remote_traceback`` is the formatted traceback from where it ran.
    """

    def __init__(self, message: str, cause: BaseException | None = None, remote_traceback: str = ""):
        super().__init__(message)
        self.cause = cause
        self.remote_traceback = remote_traceback


class BlocksLostError(Exception):
    """Blocks a stage read were lost with the worker that held them (an executor whose blocks
    live in worker processes raises it; the shared-memory pool never does).

    The executor has forgotten every block of the lost worker by then (``has_block`` is
    False), so the DAG scheduler recomputes them from their lineage (shuffle outputs by
    re-running the map tasks that wrote them) and runs the stage again.  ``completed`` holds
    the results of the stage's tasks that succeeded, by task index: they are not run again.
    """

    def __init__(self, block_ids: Iterable[str], completed: dict[int, TaskResult] | None = None):
        self.block_ids = sorted(set(block_ids))
        self.completed = dict(completed or {})
        shown = ", ".join(self.block_ids[:5]) + (" ..." if len(self.block_ids) > 5 else "")
        super().__init__(f"{len(self.block_ids)} block(s) lost with their worker: {shown}")


def run_task(
    task: Task, stage_id: int, attempt: int, blocks: BlockStore, local: LocalBlocks | None = None
) -> TaskResult:
    """Run ``task`` under a fresh TaskContext; shared by every executor so they agree on it."""
    with TaskContext(stage_id, task.partition, attempt, blocks, local) as context:
        value = task.run(context)
    return TaskResult(value, context.accumulator_updates, context.kept, context.dropped)


class ServiceHost(ABC):
    """What a running service sees where it runs: the blocks, and a way to the driver."""

    #: the store the service's blocks go to (the same every task reads)
    blocks: BlockStore
    #: where it runs, for people ("driver", "worker-1", ...)
    where: str = "driver"

    @abstractmethod
    def send(self, message: Any) -> None:
        """Deliver ``message`` (picklable) to the ``on_message`` of the service's driver side."""


class Service(ABC):
    """A long-running job the executor hosts beside its tasks, without taking a task slot (a
    receiver).  Picklable: the executor may ship it to a worker and, when that worker dies,
    start the same pickled service again on another.  Messages from the driver arrive on
    ``on_message`` on a thread other than ``run``'s."""

    @abstractmethod
    def run(self, host: ServiceHost) -> None:
        """Run until ``stop``; called on a thread of its own."""

    @abstractmethod
    def on_message(self, message: Any) -> None:
        """A message the driver sent with ``ServiceHandle.send``."""

    @abstractmethod
    def stop(self) -> None:
        """Make ``run`` return soon."""


class ServiceHandle(ABC):
    """The driver's side of a started service."""

    @abstractmethod
    def send(self, message: Any) -> None:
        """Deliver ``message`` to the service's ``on_message`` (dropped while it moves)."""

    @abstractmethod
    def stop(self, timeout: float = 10.0) -> None:
        """Stop the service and wait (up to ``timeout``) for its ``run`` to return."""

    @property
    @abstractmethod
    def where(self) -> str:
        """Where the service runs now."""


class _InProcessHost(ServiceHost):
    def __init__(self, blocks: BlockStore, on_message: Callable[[Any], None]):
        self.blocks = blocks
        self._on_message = on_message

    def send(self, message: Any) -> None:
        self._on_message(message)


class InProcessServiceHandle(ServiceHandle):
    """A service run on a thread of the driver: messages are plain calls both ways."""

    def __init__(self, service: Service, blocks: BlockStore, on_message: Callable[[Any], None], name: str):
        self._service = service
        self._thread = threading.Thread(
            target=service.run, args=(_InProcessHost(blocks, on_message),), daemon=True, name=name
        )
        self._thread.start()

    def send(self, message: Any) -> None:
        self._service.on_message(message)

    def stop(self, timeout: float = 10.0) -> None:
        self._service.stop()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)

    @property
    def where(self) -> str:
        return "driver"


@dataclass(frozen=True)
class WorkerStatus:
    """What one worker has done so far, for monitoring (``ember.streaming.executor_status``)."""

    worker_id: str
    pid: int
    tasks: int
    task_seconds: float
    running_task: bool


class Executor(BlockStore):
    """Runs the tasks of a stage.  The shape follows ``concurrent.futures.Executor``, kept small.

    ``run_tasks`` returns one ``TaskResult`` per task, in task order, or raises
    ``TaskFailedError`` once a task has failed ``max_task_attempts`` times, and only when none
    of the stage's other tasks still runs (what follows a failure, a sink's ``abort_batch``,
    must not race a task still writing; tasks not started yet need not run).  Blocks put by the
    driver (``put_block``) or by tasks (``TaskContext.blocks``) must be readable by every later
    task until removed.  Local blocks (``TaskContext.keep_local``) live in the memory of the
    process that kept them; ``remove_blocks`` forgets those too, and a task that prefers one
    should run where it is (Spark's preferred locations), which an executor may ignore: the
    task then recomputes what it would have read.

    An executor implements ``run_tasks``, the ``BlockStore`` methods and ``release_resources``
    (what ``shutdown`` does, once), calls ``Executor.__init__``, and implements ``host_service``
    when its workers can host services.
    """

    #: how many tasks can run at once; SparkContext.defaultParallelism reports it
    default_parallelism: int = 1
    #: attempts per task before the stage fails (Spark's ``local[N,F]``)
    max_task_attempts: int = 1

    def __init__(self) -> None:
        #: taken to shut down and to start a service: none starts once shutting down began
        self._closing = threading.Lock()
        self._closed = False

    @abstractmethod
    def run_tasks(self, tasks: Sequence[Task]) -> list[TaskResult]:
        """Run every task of one stage and return their results in order."""

    def shutdown(self) -> None:
        """Release workers, services and every block; the executor is unusable afterwards.
        Only the first call does anything (``release_resources``)."""
        with self._closing:
            if self._closed:
                return
            self._closed = True
        self.release_resources()

    @abstractmethod
    def release_resources(self) -> None:
        """What ``shutdown`` does, called once: stop the workers and services, drop every block."""

    def _raise_if_shut_down(self) -> None:
        if self._closed:
            raise RuntimeError("the executor was shut down (SparkContext stopped)")

    def start_service(
        self,
        service: Service,
        on_message: Callable[[Any], None],
        on_moved: Callable[[str], None],
        name: str = "ember-service",
    ) -> ServiceHandle:
        """Run ``service`` beside the tasks until its handle stops it; ``on_message`` gets
        what it sends (on a thread of the executor's).  An executor that hosts services in its
        workers (it implements ``host_service``) is given only a service it can ship: one that
        cannot be pickled runs on a thread of the driver instead, with a warning.  Once the
        executor is shut down, a RuntimeError."""
        with self._closing:
            self._raise_if_shut_down()
            if type(self).host_service is not Executor.host_service:  # it ships services
                try:
                    cloudpickle.dumps(service, protocol=pickle.HIGHEST_PROTOCOL)
                except (pickle.PicklingError, TypeError, AttributeError) as error:
                    _log.warning(
                        "%s cannot be pickled for a worker (%s); it runs on a thread of the driver",
                        name,
                        error,
                    )
                    return InProcessServiceHandle(service, self, on_message, name)
            return self.host_service(service, on_message, on_moved, name)

    def host_service(
        self,
        service: Service,
        on_message: Callable[[Any], None],
        on_moved: Callable[[str], None],
        name: str,
    ) -> ServiceHandle:
        """Start ``service`` (picklable) where this executor runs its tasks.  An executor with
        workers runs it in one of them (pickled as it ships tasks, with cloudpickle) and, when
        that worker is lost, starts it again on another and calls ``on_moved(reason)`` first.
        ``start_service`` calls it one at a time and never once shutting down began, so what
        hosting needs can be created on the first call.  This default runs it on a thread of
        the driver."""
        return InProcessServiceHandle(service, self, on_message, name)

    # -- read-only figures for monitoring; an executor that keeps none reports none ----------
    def worker_status(self) -> list[WorkerStatus]:
        """Each worker's task count and time, as of now."""
        return []

    def shm_bytes(self) -> int | None:
        """Bytes of blocks held in shared memory now; None when the executor uses none."""
        return None

    # -- blocks that cannot be computed again ----------------------------------------------
    def replicate_blocks(self, block_ids: Sequence[str]) -> bool:
        """Called when ``block_ids`` became the only copy of their data (the lineage that
        computed them was cut, as a stream's state is after each batch).  An executor whose
        blocks die with a worker keeps a second copy on another one; returns False when a
        block was lost before it could be copied (the caller then keeps the lineage).  The
        local executors keep blocks where no worker's death reaches them: nothing to do."""
        return True
