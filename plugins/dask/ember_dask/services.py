"""Services (receivers) on Dask workers: each runs as a long-running Dask task beside the tasks.

Why a Dask task rather than a thread started by a worker plugin: the scheduler then knows the
service is there.  When its worker dies, the scheduler itself runs the task again on another
worker (its arguments hold the pickled service), the dashboard shows it, and adaptive scaling
does not retire its worker as idle.  The task ``secede``s from the worker's thread pool as
soon as it starts, so it holds no task slot: on a cluster of one-thread workers, the stages'
tasks still run (as a receiver takes no slot in the local pool).

Messages travel over the scheduler's connections only, so the workers need not reach the
driver nor the driver the workers.  Service to driver: ``Worker.log_event`` on the executor's
topic, which the scheduler forwards to the driver's subscribed client, in order.  Driver to
service: ``Client.run`` on the service's worker, which queues the message for a thread of the
service's own (``on_message`` may block; the worker's event loop must not).  The driver also
follows the own topic of each worker hosting a service or holding its blocks, where the
scheduler announces the worker's removal before it reschedules its tasks: ``on_moved`` is
called before the service starts elsewhere, nothing more is sent to the dead worker, and the
received blocks it held are copied again.

Blocks a service stores go to its worker's ``BlockHolder``, as a task's do, and to a second
worker's (received blocks are kept twice, Spark's default storage level for receivers): a
batch that took them survives the loss of the receiver's worker.  The driver's block table
learns of both copies before the service's next message.  Records the receiver accepted and
no batch took yet live in its memory only: with the write-ahead log on, the service started
again stores them again from the log, which must then be on storage every worker reads.
"""

from __future__ import annotations

import itertools
import logging
import os
import pickle
import queue
import threading
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import cloudpickle
from distributed import KilledWorker, WorkerPlugin, get_worker, secede
from distributed.core import send_recv
from distributed.utils import sync

from ember.executor import BlockStore, Service, ServiceHandle, ServiceHost, decode_block, encode_block
from ember_dask.masters import cluster_workers
from ember_dask.worker_blocks import CONNECT_TIMEOUT_SECONDS, holder_of

if TYPE_CHECKING:
    from ember_dask.executor import DaskExecutor

#: what a worker sends: a service started there, a message of it, blocks it stored
STARTED, MESSAGE, BLOCKS = "started", "message", "blocks"
#: what the driver queues for itself when the scheduler removed a hosting worker
REMOVED = "removed"
#: what the driver sends besides messages
STOP = "stop"
#: the worker extension that holds the services running there, and the handler through which
#: a worker keeps a copy of a peer's received blocks
EXTENSION = "ember-services"
KEEP_HANDLER = "ember_keep_blocks"
#: how long stopping a service whose worker is gone waits for Dask to cancel its task
CANCEL_TIMEOUT_SECONDS = 10

_log = logging.getLogger("ember.executor")
_service_ids = itertools.count()


# -- on the worker ------------------------------------------------------------------------------
class HostedServices:
    """A worker's running services: where the driver's messages for each one are queued."""

    def __init__(self):
        self._inboxes: dict[str, queue.SimpleQueue] = {}
        self._lock = threading.Lock()

    def add(self, instance: str, inbox: queue.SimpleQueue) -> None:
        with self._lock:
            self._inboxes[instance] = inbox

    def remove(self, instance: str) -> None:
        with self._lock:
            self._inboxes.pop(instance, None)

    def deliver(self, instance: str, data: bytes) -> bool:
        with self._lock:
            inbox = self._inboxes.get(instance)
        if inbox is not None:
            inbox.put(data)
        return inbox is not None


class ServicesPlugin(WorkerPlugin):
    """Installs ``HostedServices`` and the handler that keeps a peer's blocks, once per worker."""

    name = "ember-services"
    idempotent = True

    def setup(self, worker) -> None:
        if EXTENSION not in worker.extensions:
            worker.extensions[EXTENSION] = HostedServices()

            def keep_blocks(executor_id: str, blocks: dict[str, bytes]) -> bool:
                holder = holder_of(worker)
                for block_id, data in blocks.items():
                    holder.put(executor_id, block_id, data)
                return True

            worker.handlers[KEEP_HANDLER] = keep_blocks


class _Channel:
    """The way from one running service to the driver: events on the executor's topic."""

    def __init__(self, worker, topic: str, service_id: int, instance: str):
        self._worker, self._topic = worker, topic
        self._service_id, self.instance = service_id, instance

    def send(self, kind: str, payload: Any) -> None:
        data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
        self._worker.log_event(self._topic, [kind, self._service_id, self.instance, data])


class ReceivedBlocks(BlockStore):
    """Where a service stores blocks: its worker's holder and one peer's, reported to the driver.

    A block stored while no other worker was up (a lone worker, or the only survivor while a
    lost one restarts) is copied with the next block that finds a peer."""

    def __init__(self, worker, executor_id: str, channel: _Channel):
        self._worker, self._executor_id, self._channel = worker, executor_id, channel
        self._holder = holder_of(worker)
        self._peers: list[str] = []
        self._single: dict[str, tuple[int, int]] = {}  # blocks with no copy yet, and their sizes

    def put_block(self, block_id: str, records: list) -> None:
        data = encode_block(records, f"storing block {block_id!r}")
        self._holder.put(self._executor_id, block_id, data)
        self._single[block_id] = (len(data), len(records))
        blocks = {b: d for b in self._single if (d := self._holder.get(self._executor_id, b)) is not None}
        copies = sync(self._worker.loop, self._copy_to_a_peer, blocks)
        sizes = {b: self._single[b] for b in blocks} if copies else {block_id: self._single[block_id]}
        if copies:
            self._single.clear()
        self._channel.send(BLOCKS, (self._worker.address, sizes, copies))

    async def _copy_to_a_peer(self, blocks: dict[str, bytes]) -> list[str]:
        """Keep copies on the next live worker (by address); the addresses that keep them."""
        for refreshed in (False, True):
            if refreshed or not self._peers:
                workers = sorted(await self._worker.scheduler.ncores())
                after = [w for w in workers if w > self._worker.address]
                self._peers = after + [w for w in workers if w < self._worker.address]
            for peer in list(self._peers):
                if await self._keep_at(peer, blocks):
                    return [peer]
                self._peers.remove(peer)
        return []

    async def _keep_at(self, peer: str, blocks: dict[str, bytes]) -> bool:
        try:
            comm = await self._worker.rpc.connect(peer, timeout=CONNECT_TIMEOUT_SECONDS)
        except (OSError, TimeoutError):
            return False
        try:
            await send_recv(comm, op=KEEP_HANDLER, executor_id=self._executor_id, blocks=blocks)
        except Exception:  # noqa: BLE001 - gone, or not set up yet: another peer, or later
            comm.abort()
            return False
        self._worker.rpc.reuse(peer, comm)
        return True

    def get_block(self, block_id: str) -> list:
        data = self._holder.get(self._executor_id, block_id)
        if data is None:
            raise KeyError(block_id)
        return decode_block(data)

    def has_block(self, block_id: str) -> bool:
        return self._holder.get(self._executor_id, block_id) is not None

    def remove_blocks(self, prefixes) -> None:
        self._holder.remove(self._executor_id, prefixes)


class _WorkerHost(ServiceHost):
    def __init__(self, channel: _Channel, blocks: BlockStore, where: str):
        self._channel = channel
        self.blocks = blocks
        self.where = where

    def send(self, message: Any) -> None:
        self._channel.send(MESSAGE, message)


def run_service(executor_id: str, topic: str, service_id: int, payload: bytes) -> None:
    """The long-running Dask task: run the pickled service on this worker until it stops.
    Each run is a new instance (Dask may run the task again after a worker died); the driver
    heeds only the newest one's messages."""
    worker = get_worker()
    channel = _Channel(worker, topic, service_id, uuid.uuid4().hex)
    hosted: HostedServices = worker.extensions[EXTENSION]
    inbox: queue.SimpleQueue = queue.SimpleQueue()
    hosted.add(channel.instance, inbox)
    service: Service = pickle.loads(payload)
    channel.send(STARTED, (worker.address, os.getpid()))
    secede()  # from here on this thread is the service's, not one of the worker's task slots
    threading.Thread(
        target=_handle_messages, args=(service, inbox), daemon=True, name=f"ember-service-{service_id}"
    ).start()
    try:
        service.run(_WorkerHost(channel, ReceivedBlocks(worker, executor_id, channel), worker.address))
    except Exception:  # noqa: BLE001 - reported; a failed service ends, as in the local pool
        _log.exception("service %d failed", service_id)
    finally:
        hosted.remove(channel.instance)
        inbox.put(None)


def _handle_messages(service: Service, inbox: queue.SimpleQueue) -> None:
    """The driver's messages to one service, in order, on a thread of their own."""
    for data in iter(inbox.get, None):
        kind, message = pickle.loads(data)
        try:
            if kind == STOP:
                service.stop()
            else:
                service.on_message(message)
        except Exception:  # noqa: BLE001 - a receiver's onDriverMessage is user code
            _log.exception("a service failed to handle a message")


def deliver(instance: str, data: bytes, dask_worker=None) -> bool:
    """What ``Client.run`` calls on the service's worker (on its event loop: queue, return)."""
    hosted = dask_worker.extensions.get(EXTENSION)
    return hosted is not None and hosted.deliver(instance, data)


# -- on the driver ------------------------------------------------------------------------------
class DaskService(ServiceHandle):
    """The driver's handle of a service running as a Dask task."""

    def __init__(self, services: DaskServices, on_message: Callable, on_moved: Callable, name: str):
        self.service_id = next(_service_ids)
        self.on_message, self.on_moved, self.name = on_message, on_moved, name
        self.future: Any = None
        #: the running instance heeded, and its worker (None while it moves)
        self.instance: str | None = None
        self.address: str | None = None
        self.pid = 0
        #: messages sent before the service first started, delivered once it has
        self.early: list[bytes] | None = []
        self.stopping = False
        self.ended = threading.Event()
        self._services = services

    def send(self, message: Any) -> None:
        self._services.send(self, MESSAGE, message)

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping = True
        if self.instance is None:
            self.future.cancel()
        else:
            self._services.send(self, STOP, None)
        self.ended.wait(timeout)
        self._services.forget(self)

    @property
    def where(self) -> str:
        return self.address or "nowhere"


class DaskServices:
    """The driver's side of every service of one executor: starts their tasks, reads what
    their workers send (one thread, in arrival order) and sends them theirs (one thread, in
    order, so that the caller never waits for a worker)."""

    def __init__(self, executor: DaskExecutor):
        self._executor = executor
        self._client = executor.client
        self._client.register_plugin(ServicesPlugin(), name=ServicesPlugin.name)
        self._topic = f"ember-services-{executor.executor_id}"
        self._services: dict[int, DaskService] = {}
        self._followed: set[str] = set()  # worker topics subscribed to
        self._received: set[str] = set()  # ids of the blocks the services stored
        self._copy_lost = False  # a worker holding some of them was lost since they were copied
        self._lock = threading.Lock()
        self._inbox: queue.SimpleQueue = queue.SimpleQueue()
        self._outbox: queue.SimpleQueue = queue.SimpleQueue()
        self._client.subscribe_topic(self._topic, self._arrived)
        self._threads = [
            threading.Thread(target=self._read, daemon=True, name="ember-dask-services-in"),
            threading.Thread(target=self._write, daemon=True, name="ember-dask-services-out"),
        ]
        for thread in self._threads:
            thread.start()

    def start(
        self, service: Service, on_message: Callable[[Any], None], on_moved: Callable[[str], None], name: str
    ) -> DaskService:
        payload = cloudpickle.dumps(service, protocol=pickle.HIGHEST_PROTOCOL)
        handle = DaskService(self, on_message, on_moved, name)
        with self._lock:
            self._services[handle.service_id] = handle
        self._submit(handle, payload, self._least_busy_worker())
        return handle

    def _least_busy_worker(self) -> str:
        workers = sorted(cluster_workers(self._client))
        with self._lock:
            hosted = [s.address for s in self._services.values()]
        return min(workers, key=lambda address: (hosted.count(address), address))

    def _submit(self, handle: DaskService, payload: bytes, worker: str | None) -> None:
        # subscribe-topic and this task's update-graph share the client's ordered stream to
        # the scheduler: the subscription is in place before the service can send anything
        handle.future = self._client.submit(
            run_service,
            self._executor.executor_id,
            self._topic,
            handle.service_id,
            payload,
            key=f"{handle.name}-{uuid.uuid4().hex[:12]}",
            workers=None if worker is None else [worker],
            allow_other_workers=True,
            pure=False,
        )
        handle.future.add_done_callback(lambda future: self._task_ended(handle, payload, future))

    def _task_ended(self, handle: DaskService, payload: bytes, future) -> None:
        """The service's task ended: it stopped, or Dask gave up on it after several lost
        workers (``KilledWorker``: submitted anew), or it was cancelled."""
        if not handle.stopping and future.status == "error" and isinstance(future.exception(), KilledWorker):
            _log.warning("%s lost its worker too often for Dask; starting it again", handle.name)
            self._submit(handle, payload, None)
            return
        handle.ended.set()

    def send(self, handle: DaskService, kind: str, message: Any) -> None:
        instance, address = handle.instance, handle.address
        if instance is not None and address is not None:  # dropped while it moves: the
            self._outbox.put(
                (handle, instance, address, cloudpickle.dumps((kind, message)))
            )  # service asks again

    def forget(self, handle: DaskService) -> None:
        with self._lock:
            self._services.pop(handle.service_id, None)
        handle.future.release()

    def close(self) -> None:
        """Stop every service still running (the executor shuts down)."""
        with self._lock:
            running = list(self._services.values())
        for handle in running:
            handle.stop(CANCEL_TIMEOUT_SECONDS)
        self._outbox.put(None)
        self._inbox.put(None)
        for thread in self._threads:
            thread.join(CANCEL_TIMEOUT_SECONDS)
        try:
            self._client.unsubscribe_topic(self._topic)
            for address in self._followed:
                self._client.unsubscribe_topic(address)
        except Exception:  # noqa: BLE001 - the cluster may be gone already
            pass

    # -- sending ------------------------------------------------------------------------------
    def _write(self) -> None:
        for handle, instance, address, data in iter(self._outbox.get, None):
            if handle is not None and handle.instance != instance:
                continue  # it moved since: this message was for the lost instance
            try:
                self._client.run(deliver, instance, data, workers=[address], on_error="return")
            except Exception:  # noqa: BLE001 - the cluster is going away; the handle learns it
                _log.debug("sending to a service on %s failed", address, exc_info=True)

    # -- receiving ----------------------------------------------------------------------------
    def _arrived(self, event: tuple) -> None:
        """On the client's event loop: only queue (the handlers may call back into the client)."""
        self._inbox.put(event[1])

    def _follow(self, address: str) -> None:
        """Learn from the scheduler when ``address`` (hosting a service or holding received
        blocks) is removed, before Dask reschedules the tasks that ran there: the events reach
        this client in that order."""

        def event(event: tuple) -> None:
            if isinstance(event[1], dict) and event[1].get("action") == "remove-worker":
                self._inbox.put((REMOVED, address))

        if address not in self._followed:
            self._followed.add(address)
            self._client.subscribe_topic(address, event)

    def _read(self) -> None:
        for message in iter(self._inbox.get, None):
            try:
                if message[0] == REMOVED:
                    self._worker_removed(message[1])
                else:
                    self._from_service(*message)
            except Exception:  # noqa: BLE001 - the driver side's bug must not stop the others
                _log.exception("handling a message of a Dask service failed")

    def _from_service(self, kind: str, service_id: int, instance: str, data: bytes) -> None:
        payload = pickle.loads(data)
        if kind == BLOCKS:  # facts about where blocks are, whichever instance stored them
            self._stored(*payload)
            return
        with self._lock:
            handle = self._services.get(service_id)
        if kind == STARTED:
            self._started(handle, instance, *payload)
        elif handle is not None and kind == MESSAGE and instance == handle.instance:
            try:
                handle.on_message(payload)
            except Exception:  # noqa: BLE001 - reported; the other messages still arrive
                _log.exception("handling a message of %s failed", handle.name)

    def _started(self, handle: DaskService | None, instance: str, address: str, pid: int) -> None:
        if handle is None or handle.stopping:  # stopped before it ran: stop this instance too
            self._outbox.put((None, instance, address, cloudpickle.dumps((STOP, None))))
            return
        if handle.instance is not None:  # rescheduled while its worker still looked alive
            self._outbox.put((None, handle.instance, handle.address, cloudpickle.dumps((STOP, None))))
            self._moved(handle, f"{handle.name} left Dask worker {handle.address}")
        self._follow(address)
        with self._lock:
            handle.instance, handle.address, handle.pid = instance, address, pid
            for data in handle.early or ():
                self._outbox.put((handle, instance, address, data))
            handle.early = None

    def _stored(self, address: str, sizes: dict[str, tuple[int, int]], copies: list[str]) -> None:
        """A service stored blocks on ``address`` and ``copies``.  A batch's received blocks
        may be read again long after it ran (the lineage of a stream's state reaches back to
        them): after a worker holding some was lost, the first report that finds two workers
        up has the blocks left with one copy copied again, before the driver hears more."""
        self._executor.received_blocks(address, sizes, copies)
        # the blocks still kept: batches done with theirs have them removed
        self._received = {b for b in self._received if self._executor.has_block(b)} | set(sizes)
        for holder in [address, *copies]:
            self._follow(holder)
        if copies and self._copy_lost:
            self._copy_lost = False
            self._executor.replicate_blocks(sorted(self._received))

    def _worker_removed(self, address: str) -> None:
        self._copy_lost = True
        self._followed.discard(address)
        self._client.unsubscribe_topic(address)
        with self._lock:
            hosted = [h for h in self._services.values() if h.address == address]
        for handle in hosted:
            self._moved(handle, f"Dask worker {address} (pid {handle.pid}) was lost")

    def _moved(self, handle: DaskService, reason: str) -> None:
        handle.instance, handle.address = None, None
        if not handle.stopping:
            handle.on_moved(reason)
