"""Services (receivers) in the local[N] pool: hosted by worker processes beside their tasks.

Each worker has a second socket to the driver, for services only, so a service's messages
never wait for a task to finish.  In the worker, ``ServiceRunner`` reads that socket on a
thread of its own and runs each service on another thread: the task loop keeps its slot.  In
the driver, one ``ServiceHub`` thread reads every worker's service socket and hands messages
to the handles.  When a worker dies its service socket ends; the hub starts the same pickled
services again on a live worker (calling ``on_moved`` first) and forgets the dead one.

Messages are ``(kind, service id, payload)`` pickles: the driver sends START (the pickled
service), MESSAGE and STOP; a worker sends MESSAGE and ENDED.
"""

from __future__ import annotations

import itertools
import logging
import os
import pickle
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any, cast

import cloudpickle

from ember.executor.base import BlockStore, Service, ServiceHandle, ServiceHost
from ember.executor.tracebacks import format_for_user

if TYPE_CHECKING:
    from ember.executor.pool import ProcessPoolExecutor, WorkerProcess

START, MESSAGE, STOP, ENDED = range(4)
_log = logging.getLogger("ember.executor")
_service_ids = itertools.count()


# -- in the worker ------------------------------------------------------------------------------
class ServiceRunner:
    """The worker's side: reads the driver's service messages, runs each service on a thread."""

    def __init__(self, connection: Connection, blocks: BlockStore):
        self._connection = connection
        self._blocks = blocks
        self._services: dict[int, Service] = {}
        self._sending = threading.Lock()

    def start(self) -> None:
        threading.Thread(target=self._serve, daemon=True, name="ember-services").start()

    def send(self, service_id: int, kind: int, payload: Any) -> None:
        data = pickle.dumps((kind, service_id, payload), protocol=pickle.HIGHEST_PROTOCOL)
        with self._sending:
            try:
                self._connection.send_bytes(data)
            except OSError:
                pass  # the driver is gone; the task loop notices and exits

    def _serve(self) -> None:
        while True:
            try:
                kind, service_id, payload = pickle.loads(self._connection.recv_bytes())
            except (EOFError, OSError):
                return
            if kind == START:
                service = self._services[service_id] = pickle.loads(payload)
                threading.Thread(
                    target=self._run,
                    args=(service_id, service),
                    daemon=True,
                    name=f"ember-service-{service_id}",
                ).start()
                continue
            service = self._services.get(service_id)
            if service is None:
                continue
            try:
                if kind == MESSAGE:
                    service.on_message(payload)
                elif kind == STOP:
                    service.stop()
            except Exception as error:  # noqa: BLE001 - one service's bug must not stop the others
                # a receiver's onDriverMessage is user code: its traceback without ember's frames
                _log.error("service %d failed to handle a message:\n%s", service_id, format_for_user(error))

    def _run(self, service_id: int, service: Service) -> None:
        try:
            service.run(_WorkerHost(self, service_id, self._blocks))
        except Exception as error:  # noqa: BLE001 - reported; the driver's handle sees it end
            _log.error("service %d failed:\n%s", service_id, format_for_user(error))
        finally:
            self._services.pop(service_id, None)
            self.send(service_id, ENDED, None)


class _WorkerHost(ServiceHost):
    def __init__(self, runner: ServiceRunner, service_id: int, blocks: BlockStore):
        self._runner, self._service_id = runner, service_id
        self.blocks = blocks
        self.where = str(os.getpid())

    def send(self, message: Any) -> None:
        self._runner.send(self._service_id, MESSAGE, message)


# -- in the driver ------------------------------------------------------------------------------
class PooledService(ServiceHandle):
    """The driver's handle of a service living in a worker of the pool."""

    def __init__(
        self,
        hub: ServiceHub,
        payload: bytes,
        on_message: Callable[[Any], None],
        on_moved: Callable[[str], None],
    ):
        self.service_id = next(_service_ids)
        self.payload = payload
        self.on_message = on_message
        self.on_moved = on_moved
        self.worker: WorkerProcess | None = None
        self.ended = threading.Event()
        self.stopping = False
        self._hub = hub

    def send(self, message: Any) -> None:
        worker = self.worker
        if worker is not None:
            self._hub.send(worker, (MESSAGE, self.service_id, message))

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping = True
        worker = self.worker
        if worker is None or not self._hub.send(worker, (STOP, self.service_id, None)):
            self.ended.set()
        self.ended.wait(timeout)
        self._hub.forget(self)

    @property
    def where(self) -> str:
        worker = self.worker
        return "nowhere" if worker is None else str(worker.pid)


class ServiceHub:
    """The driver's thread that reads every worker's service socket and moves the services of
    a worker that died."""

    def __init__(self, pool: ProcessPoolExecutor):
        self._pool = pool
        self._lock = threading.Lock()
        self._services: dict[int, PooledService] = {}
        self._watched: dict[Connection, WorkerProcess] = {}
        self._homeless: list[PooledService] = []
        self._wake_read, self._wake_write = os.pipe()
        self._thread = threading.Thread(target=self._serve, daemon=True, name="ember-service-hub")
        self._thread.start()

    def start(
        self, service: Service, on_message: Callable[[Any], None], on_moved: Callable[[str], None]
    ) -> PooledService:
        handle = PooledService(
            self, cloudpickle.dumps(service, protocol=pickle.HIGHEST_PROTOCOL), on_message, on_moved
        )
        with self._lock:
            self._services[handle.service_id] = handle
            self._place(handle, exclude=None)
        self._wake()
        return handle

    def send(self, worker: WorkerProcess, message: tuple) -> bool:
        """Send to ``worker``'s service socket; False when it is gone."""
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        with worker.service_sending:
            try:
                worker.service_connection.send_bytes(data)
                return True
            except OSError:
                return False

    def forget(self, handle: PooledService) -> None:
        with self._lock:
            self._services.pop(handle.service_id, None)
            if handle in self._homeless:
                self._homeless.remove(handle)

    def close(self) -> None:
        """After the pool was closed: end the hub's thread and release its sockets."""
        self._wake()
        self._thread.join(5)
        for connection in self._watched:
            connection.close()
        os.close(self._wake_read)
        os.close(self._wake_write)

    # -- placing ------------------------------------------------------------------------------
    def _place(self, handle: PooledService, exclude: WorkerProcess | None) -> bool:
        """Start ``handle``'s service on the live worker hosting the fewest (lock held)."""
        live = [w for w in self._pool._workers if w is not exclude and w.process.poll() is None]
        if not live:
            handle.worker = None
            if handle not in self._homeless:
                self._homeless.append(handle)
            return False
        hosted = {w: 0 for w in live}
        for other in self._services.values():
            if other.worker in hosted:
                hosted[other.worker] += 1
        worker = min(live, key=lambda w: hosted[w])
        handle.worker = worker
        if not self.send(worker, (START, handle.service_id, handle.payload)):
            return self._place(handle, exclude=worker)
        return True

    def _moved(self, dead: WorkerProcess) -> None:
        """Start the services of a dead worker elsewhere (after telling their driver side)."""
        with self._lock:
            moving = [h for h in self._services.values() if h.worker is dead and not h.stopping]
            for handle in self._services.values():
                if handle.worker is dead and handle.stopping:
                    handle.ended.set()
        for handle in moving:
            handle.worker = None
            handle.on_moved(f"worker {dead.pid} was lost ({dead.describe_exit()})")
            with self._lock:
                if handle.service_id in self._services:
                    self._place(handle, exclude=dead)

    # -- the hub's thread -----------------------------------------------------------------------
    def _wake(self) -> None:
        os.write(self._wake_write, b"x")

    def _serve(self) -> None:
        while not self._pool._closed:
            for worker in list(self._pool._workers):
                connection = worker.service_connection
                if connection not in self._watched and not connection.closed:
                    self._watched[connection] = worker
            if self._homeless:
                with self._lock:
                    homeless, self._homeless = self._homeless, []
                    for handle in homeless:
                        self._place(handle, exclude=None)
            ready = wait(list(self._watched) + [self._wake_read], timeout=0.2 if self._homeless else None)
            for source in ready:
                if source == self._wake_read:
                    os.read(self._wake_read, 4096)
                else:
                    self._receive(cast("Connection", source))

    def _receive(self, connection: Connection) -> None:
        worker = self._watched[connection]
        try:
            kind, service_id, payload = pickle.loads(connection.recv_bytes())
        except (EOFError, OSError):
            del self._watched[connection]
            connection.close()
            if not self._pool._closed:
                self._moved(worker)
            return
        handle = self._services.get(service_id)
        if handle is None or handle.worker is not worker:
            return  # a message of a stopped service, or of an instance that was replaced
        if kind == ENDED:
            handle.ended.set()
            return
        try:
            handle.on_message(payload)
        except Exception:  # noqa: BLE001 - the driver side's bug must not stop the hub
            _log.exception("handling a message of service %d failed", service_id)
