"""The worker side: each Dask worker keeps the ember blocks its tasks wrote and serves them to
its peers; tasks run there against a block store that reads locally or from the peer holding
a block.

A ``WorkerPlugin`` installs one ``BlockHolder`` per worker process (on the workers present and
on every worker that joins later) and registers the ``ember_blocks`` handler on the worker's
server, through which another worker fetches blocks: blocks move worker to worker over Dask's
own comms, never through the driver.  Blocks are kept encoded (ember's block codec), per
executor (one SparkContext), so several drivers can share one cluster.  Local blocks (a
stream's state partitions, ``TaskContext.keep_local``) are kept as objects, per executor too,
and live as long as the worker process: the driver sends a task that prefers one here.

A stage reaches a worker once: the first of its tasks to be sent there carries the stage's
``StageShipment`` (the functions this worker lacks, what the stage's tasks share, the block
locations); the others carry only their own pickle and the shipment's id.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from dataclasses import dataclass, field

from distributed import WorkerPlugin, get_worker
from distributed.core import send_recv
from distributed.utils import sync

from ember.executor import (
    BlocksLostError,
    BlockStore,
    FunctionCache,
    LocalBlocks,
    StageCommon,
    TaskResult,
    decode_block,
    encode_block,
    run_task,
)

#: the worker extension and handler names
EXTENSION = "ember"
HANDLER = "ember_blocks"
#: how long one worker tries to reach a peer (Dask's default retries for 30 s: a dead peer's
#: blocks are counted lost sooner), and waits for its blocks
CONNECT_TIMEOUT_SECONDS = 3
FETCH_TIMEOUT_SECONDS = 60
#: stages whose shipment a worker keeps, shared part unpickled (the running one, a few before)
KEPT_STAGES = 8


class StaleWorkerError(Exception):
    """The task reached a worker that lacks functions or the stage's shipment the driver
    thought it had (a worker that restarted, or one Dask chose instead of the planned one):
    the driver sends them again."""

    def __init__(self, address: str, what: str = "the job's functions"):
        super().__init__(f"worker {address} lacks {what}")
        self.address, self.what = address, what


class StageAbandonedError(Exception):
    """The task's stage failed before the task started: it ends without running, so that the
    driver, which waits for the stage's tasks before reporting the failure, waits only for
    those already running."""


@dataclass(frozen=True)
class StageShipment:
    """What the tasks of one stage on one worker share, sent with the first of them: the
    functions that worker has not had (``FunctionShipper.updates_for``), the stage's common
    pickle, and the driver's table of block locations as the stage started."""

    functions: tuple
    common: bytes
    locations: dict[str, tuple[str, ...]]


@dataclass
class _ShippedStage:
    common: StageCommon
    locations: dict[str, tuple[str, ...]]


class BlockHolder:
    """One worker process's blocks and function caches, by executor id."""

    def __init__(self):
        #: changes when the worker process does: blocks held under an older token are gone
        self.token = uuid.uuid4().hex
        self._blocks: dict[str, dict[str, bytes]] = {}
        self._functions: dict[str, FunctionCache] = {}
        self._local: dict[str, LocalBlocks] = {}
        #: (executor id, shipment id) -> what that stage's tasks share, unpickled once here
        self._stages: dict[tuple[str, str], _ShippedStage] = {}
        #: (executor id, shipment id) of the stages that failed, as an ordered set
        self._abandoned: dict[tuple[str, str], None] = {}
        self._lock = threading.Lock()

    def put(self, executor_id: str, block_id: str, data: bytes) -> None:
        with self._lock:
            self._blocks.setdefault(executor_id, {})[block_id] = data

    def get(self, executor_id: str, block_id: str) -> bytes | None:
        with self._lock:
            return self._blocks.get(executor_id, {}).get(block_id)

    def remove(self, executor_id: str, prefixes) -> None:
        prefixes = tuple(prefixes)
        with self._lock:
            blocks = self._blocks.get(executor_id, {})
            for block_id in [b for b in blocks if b.startswith(prefixes)]:
                del blocks[block_id]
            local = self._local.get(executor_id)
        if local is not None:
            local.drop(prefixes)

    def local(self, executor_id: str) -> LocalBlocks:
        """The objects this process keeps for ``executor_id``'s tasks."""
        with self._lock:
            local = self._local.get(executor_id)
            if local is None:
                local = self._local[executor_id] = LocalBlocks()
            return local

    def drop(self, executor_id: str) -> None:
        with self._lock:
            self._blocks.pop(executor_id, None)
            self._functions.pop(executor_id, None)
            self._local.pop(executor_id, None)
            for key in [key for key in self._stages if key[0] == executor_id]:
                del self._stages[key]
            for key in [key for key in self._abandoned if key[0] == executor_id]:
                del self._abandoned[key]

    def abandon(self, executor_id: str, shipment_id: str) -> None:
        """The stage failed: its tasks that have not started here end without running."""
        with self._lock:
            self._abandoned[(executor_id, shipment_id)] = None
            self._stages.pop((executor_id, shipment_id), None)
            while len(self._abandoned) > KEPT_STAGES:
                del self._abandoned[next(iter(self._abandoned))]

    def usage(self, executor_id: str) -> tuple[int, int]:
        """(blocks, encoded bytes) held for ``executor_id``."""
        with self._lock:
            blocks = self._blocks.get(executor_id, {})
            return len(blocks), sum(map(len, blocks.values()))

    def load_task(self, executor_id: str, shipment_id: str, shipment: StageShipment | None, own):
        """A task of a pickled stage (``own``: its pickle, or its partition) and the block
        locations of its stage, after taking the ``shipment`` when the task carries it."""
        key = (executor_id, shipment_id)
        with self._lock:
            if key in self._abandoned:
                raise StageAbandonedError(f"stage {shipment_id} failed before this task started")
            cache = self._functions.setdefault(executor_id, FunctionCache())
            if shipment is not None:
                cache.update(*shipment.functions)
                if key not in self._stages:
                    self._stages[key] = _ShippedStage(StageCommon(shipment.common), shipment.locations)
                    while len(self._stages) > KEPT_STAGES:
                        del self._stages[next(iter(self._stages))]
            stage = self._stages.get(key)
        if stage is None:  # the task that carried it went elsewhere, or this process is new
            raise StaleWorkerError(get_worker().address, "the stage's shipment")
        try:
            return cache.load_task(own, stage.common), stage.locations
        except KeyError:  # a digest this process never received
            raise StaleWorkerError(get_worker().address) from None

    def serve(self, executor_id: str, block_ids: list[str]) -> dict[str, bytes]:
        """The ``ember_blocks`` handler: the requested blocks this worker holds."""
        found = {}
        for block_id in block_ids:
            data = self.get(executor_id, block_id)
            if data is not None:
                found[block_id] = data
        return found


class BlocksPlugin(WorkerPlugin):
    """Installs the worker's ``BlockHolder`` once per process (registering again keeps it)."""

    name = "ember-blocks"
    idempotent = True

    def setup(self, worker) -> None:
        if EXTENSION not in worker.extensions:
            holder = BlockHolder()
            worker.extensions[EXTENSION] = holder
            worker.handlers[HANDLER] = holder.serve


def holder_of(worker) -> BlockHolder:
    return worker.extensions[EXTENSION]


async def ask_peer(worker, address: str, executor_id: str, block_ids: list[str]) -> dict[str, bytes]:
    """Blocks from the peer at ``address`` (whatever of them it holds); ``{}`` when it is gone."""
    try:
        comm = await worker.rpc.connect(address, timeout=CONNECT_TIMEOUT_SECONDS)
    except (OSError, TimeoutError):
        return {}
    try:
        found = await send_recv(comm, op=HANDLER, executor_id=executor_id, block_ids=block_ids)
    except (OSError, TimeoutError):
        comm.abort()
        return {}
    worker.rpc.reuse(address, comm)
    return found


def fetch_blocks(worker, address: str, executor_id: str, block_ids: list[str]) -> dict[str, bytes]:
    """``ask_peer`` from a task's thread, on the worker's event loop."""
    try:
        return sync(
            worker.loop,
            ask_peer,
            worker,
            address,
            executor_id,
            block_ids,
            callback_timeout=FETCH_TIMEOUT_SECONDS,
        )
    except TimeoutError:
        return {}


class TaskBlocks(BlockStore):
    """What a task on a Dask worker reads and writes: its worker's blocks, then its peers'.

    ``locations`` (block id -> holders' addresses) is the driver's table as the stage started;
    a block written on this worker since (by an earlier task) is found locally first."""

    def __init__(self, worker, executor_id: str, locations: dict[str, tuple[str, ...]]):
        self._worker, self._executor_id, self._locations = worker, executor_id, locations
        self._holder = holder_of(worker)
        #: block id -> (encoded bytes, records) of the blocks this task wrote
        self.written: dict[str, tuple[int, int]] = {}

    def put_block(self, block_id: str, records: list) -> None:
        data = encode_block(records, f"storing block {block_id!r}")
        self._holder.put(self._executor_id, block_id, data)
        self.written[block_id] = (len(data), len(records))

    def get_block(self, block_id: str) -> list:
        data = self._holder.get(self._executor_id, block_id)
        if data is None:
            holders = self._locations.get(block_id)
            if holders is None:
                raise KeyError(block_id)
            data = self._fetch(block_id, holders)
        return decode_block(data)

    def _fetch(self, block_id: str, holders: tuple[str, ...]) -> bytes:
        for address in holders:
            if address != self._worker.address:
                data = fetch_blocks(self._worker, address, self._executor_id, [block_id]).get(block_id)
                if data is not None:
                    return data
        raise BlocksLostError([block_id])

    def has_block(self, block_id: str) -> bool:
        return block_id in self._locations or self._holder.get(self._executor_id, block_id) is not None

    def remove_blocks(self, prefixes) -> None:
        self._holder.remove(self._executor_id, prefixes)


@dataclass
class TaskOutcome:
    """A finished task: its result, the blocks it wrote, and where it ran."""

    result: TaskResult
    written: dict[str, tuple[int, int]]
    address: str
    token: str
    pid: int
    seconds: float = field(default=0.0)


def run_shipped_task(
    executor_id: str, shipment_id: str, shipment: StageShipment | None, own, attempt: int
) -> TaskOutcome:
    """The Dask task: run one task of a pickled stage on this worker, with the objects this
    process keeps for later tasks.  A user's exception propagates (Dask reports it); so do
    ``StaleWorkerError`` and ``BlocksLostError``."""
    started = time.perf_counter()
    worker = get_worker()
    holder = holder_of(worker)
    task, locations = holder.load_task(executor_id, shipment_id, shipment, own)
    blocks = TaskBlocks(worker, executor_id, locations)
    result = run_task(task, task.stage_id, attempt, blocks, holder.local(executor_id))
    return TaskOutcome(
        result, blocks.written, worker.address, holder.token, os.getpid(), time.perf_counter() - started
    )


# -- what the driver runs on workers (``Client.run``) ------------------------------------------
def update_blocks(
    executor_id: str,
    plan: dict[str, dict[str, bytes]],
    removed: list[str],
    local_drops: dict[str, list[str]],
    dask_worker=None,
) -> str:
    """Drop the removed blocks (local ones too) and the local blocks named for this worker,
    then keep the driver's blocks planned for it; returns its holder's token."""
    holder = holder_of(dask_worker)
    if removed:
        holder.remove(executor_id, removed)
    local = holder.local(executor_id)
    for block_id in local_drops.get(dask_worker.address, ()):
        local.discard(block_id)
    for block_id, data in plan.get(dask_worker.address, {}).items():
        holder.put(executor_id, block_id, data)
    return holder.token


def abandon_stage(executor_id: str, shipment_id: str, dask_worker=None) -> None:
    if EXTENSION in dask_worker.extensions:
        holder_of(dask_worker).abandon(executor_id, shipment_id)


def drop_executor(executor_id: str, dask_worker=None) -> None:
    if EXTENSION in dask_worker.extensions:
        holder_of(dask_worker).drop(executor_id)


def read_blocks(executor_id: str, block_ids: list[str], dask_worker=None) -> dict[str, bytes]:
    return holder_of(dask_worker).serve(executor_id, block_ids)


async def copy_blocks(executor_id: str, plan: dict[str, dict[str, list[str]]], dask_worker=None) -> list[str]:
    """Fetch from each peer the blocks planned for this worker; the ids it now holds."""
    holder = holder_of(dask_worker)
    copied = []
    for address, block_ids in plan.get(dask_worker.address, {}).items():
        found = await ask_peer(dask_worker, address, executor_id, block_ids)
        for block_id, data in found.items():
            holder.put(executor_id, block_id, data)
            copied.append(block_id)
    return copied


def usage(executor_id: str, dask_worker=None) -> tuple[int, int]:
    if EXTENSION not in dask_worker.extensions:
        return 0, 0
    return holder_of(dask_worker).usage(executor_id)
