"""Services for the tests of ``Executor.start_service`` on every executor: one that reports the
process it runs in, one that cannot be pickled, and a way to run one and see where it ran."""

from __future__ import annotations

import os
import queue
import threading

from ember.executor import Executor, Service, ServiceHost

#: how long a started service may take to report (a worker process or a Dask task starting)
REPORT_SECONDS = 30


class ReportsItsPid(Service):
    """Sends the pid of the process it runs in, then runs until stopped."""

    def __init__(self):
        self._stopped = threading.Event()

    def __getstate__(self) -> dict:
        return {}  # an Event does not pickle: each copy makes its own

    def __setstate__(self, state: dict) -> None:
        self._stopped = threading.Event()

    def run(self, host: ServiceHost) -> None:
        host.send(os.getpid())
        self._stopped.wait()

    def on_message(self, message) -> None:
        pass

    def stop(self) -> None:
        self._stopped.set()


class HoldsALock(ReportsItsPid):
    """A service that cannot be pickled: what it pickles holds a lock."""

    def __init__(self):
        super().__init__()
        self.lock = threading.Lock()

    def __getstate__(self) -> dict:
        return {"lock": self.lock}


def unpicklable_warning(name: str) -> str:
    """What an executor with workers warns when ``name`` is a ``HoldsALock``."""
    return (
        f"{name} cannot be pickled for a worker (cannot pickle '_thread.lock' object); "
        "it runs on a thread of the driver"
    )


def run_once(executor: Executor, service: ReportsItsPid, name: str) -> tuple[str, int]:
    """Start ``service``, wait for the pid it reports, stop it: (its handle's ``where``, the pid)."""
    reported: queue.SimpleQueue = queue.SimpleQueue()
    handle = executor.start_service(service, reported.put, lambda reason: None, name)
    try:
        pid = reported.get(timeout=REPORT_SECONDS)
    except queue.Empty:
        raise AssertionError(f"{name} reported no pid within {REPORT_SECONDS} s") from None
    else:
        return handle.where, pid
    finally:
        handle.stop()
