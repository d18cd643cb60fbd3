"""The master URLs ``dask://host:port`` and ``dask-local[N]``, and the Dask client for each.

A ``dask-local[N]`` cluster starts with the first SparkContext that asks for it and lives until
the process exits: later contexts in the same program (or test session) reuse its workers
instead of waiting for N new processes.  ``SparkContext.stop()`` drops the context's blocks and
functions from the workers, not the workers.
"""

from __future__ import annotations

import atexit
import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from distributed import Client, LocalCluster

_REMOTE = re.compile(r"^dask://(?P<address>[^\s/]+:\d+)/?$")
_LOCAL = re.compile(r"^dask-local\[(?P<workers>\d+)\]$")
#: Spark's setting for attempts per task; a cluster's default is Spark's (4), dask-local's is
#: local mode's (1), so a job's failures behave as on local[N]
MAX_FAILURES_SETTING = "spark.task.maxFailures"


@dataclass(frozen=True)
class DaskMaster:
    """A parsed master URL: a scheduler's address, or a local cluster's worker count."""

    url: str
    address: str | None = None
    local_workers: int = 0

    def max_task_attempts(self, conf) -> int:
        default = "1" if self.address is None else "4"
        value = conf.get(MAX_FAILURES_SETTING, default) if conf is not None else default
        attempts = int(value)
        if attempts < 1:
            raise ValueError(f"{MAX_FAILURES_SETTING} must be at least 1, got {value!r}")
        return attempts


def parse_dask_master(master: str) -> DaskMaster | None:
    """``None`` for URLs that are not Dask's; ValueError, naming the forms, for a bad one."""
    master = master.strip()
    if not master.startswith(("dask://", "dask-local")):
        return None
    remote, local = _REMOTE.match(master), _LOCAL.match(master)
    if remote is not None:
        return DaskMaster(master, address="tcp://" + remote["address"])
    if local is not None and int(local["workers"]) >= 1:
        return DaskMaster(master, local_workers=int(local["workers"]))
    raise ValueError(
        f"Invalid master URL {master!r}: ember-dask takes dask://HOST:PORT (a running "
        "Dask scheduler) or dask-local[N] (N >= 1 local worker processes)"
    )


@dataclass
class Connection:
    """A client to the cluster, and whether the executor that uses it must close it."""

    client: Client
    owned: bool
    description: str


def cluster_workers(client: Client) -> dict[str, dict]:
    """The scheduler's workers now, by address, each with its info (``nthreads``, ...).

    Asked of the scheduler itself: ``Client.scheduler_info()`` returns the client's cached
    identity, which the client's own periodic refresh overwrites with one that lists no workers,
    so a read that races it sees an empty cluster."""
    identity = client.sync(client.scheduler.identity, n_workers=-1)
    return dict(identity["workers"])


_local_clusters: dict[int, tuple[LocalCluster, Client]] = {}
_local_lock = threading.Lock()


def connect(master: DaskMaster) -> Connection:
    from distributed import Client

    if master.address is not None:
        try:
            client = Client(master.address, timeout="30s", set_as_default=False)
        except OSError as error:
            raise RuntimeError(
                f"Could not reach the Dask scheduler of master {master.url!r}: {error}"
            ) from None
        return Connection(client, True, master.url)
    with _local_lock:
        if master.local_workers not in _local_clusters:
            _local_clusters[master.local_workers] = _start_local_cluster(master.local_workers)
        _, client = _local_clusters[master.local_workers]
    return Connection(client, False, master.url)


def _start_local_cluster(workers: int) -> tuple[LocalCluster, Client]:
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0", host="127.0.0.1"
    )
    client = Client(cluster, set_as_default=False)
    atexit.register(_close_local_cluster, workers)
    return cluster, client


def _close_local_cluster(workers: int) -> None:
    with _local_lock:
        cluster, client = _local_clusters.pop(workers, (None, None))
    if client is not None and cluster is not None:
        client.close()
        cluster.close()
