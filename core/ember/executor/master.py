"""Master URLs: ``local``, ``local[N]``, ``local[*]``, ``local[N,F]`` and plugin schemes."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ember.conf import ConfigurationError
from ember.executor.base import Executor
from ember.executor.inprocess import InProcessExecutor
from ember.executor.pool import ProcessPoolExecutor
from ember.pluginhost import plugin_executor, plugin_manager

_LOCAL = re.compile(r"^local(?:\[(\*|\d+)(?:,\s*(\d+))?\])?$")


@dataclass(frozen=True)
class LocalMaster:
    """A parsed ``local`` master URL: worker count and task attempts (Spark's F)."""

    threads: int
    max_failures: int


def parse_local_master(master: str) -> LocalMaster | None:
    """Parse a ``local...`` URL; ``None`` when ``master`` is not one; ValueError when malformed."""
    if not master.startswith("local"):
        return None
    match = _LOCAL.match(master.strip())
    if match is None:
        raise ConfigurationError(
            f"Invalid master URL {master!r}: expected local, local[N], local[*] or local[N,F] "
            "(N worker processes, F attempts per task)"
        )
    count, failures = match.groups()
    if count is None:
        threads = 1
    elif count == "*":
        threads = os.cpu_count() or 1
    else:
        threads = int(count)
    if threads < 1:
        raise ConfigurationError(f"Invalid master URL {master!r}: the number of workers must be at least 1")
    return LocalMaster(threads=threads, max_failures=int(failures) if failures else 1)


def create_executor(master: str, conf=None, preload: Sequence[str] = ()) -> Executor:
    """The executor a master URL asks for; ``conf`` is the application's SparkConf and
    ``preload`` the modules a worker process imports before its first task."""
    local = parse_local_master(master)
    if local is not None and local.threads == 1:
        return InProcessExecutor(local.threads, local.max_failures)
    if local is not None:
        return ProcessPoolExecutor(local.threads, local.max_failures, conf, preload)
    executor = plugin_executor(master, conf)
    if executor is None:
        raise ConfigurationError(_no_executor_for(master))
    return executor


#: masters of Spark's own cluster managers, which ember cannot join
_SPARK_CLUSTERS = ("spark://", "yarn", "k8s://", "mesos://")


def _no_executor_for(master: str) -> str:
    """Why ``master`` cannot run, what can, and which executor plugin provides clusters."""
    installed = sorted({record.distribution for record in plugin_manager().implementers("ember_executor")})
    what = (
        f"{master!r} is a Spark cluster manager, which ember does not run on"
        if master.startswith(_SPARK_CLUSTERS)
        else f"no installed executor plugin serves {master!r}"
    )
    dask = (
        "ember-dask is installed: use --master dask://HOST:PORT"
        if "ember-dask" in installed
        else "install ember-dask and use --master dask://HOST:PORT"
    )
    return (
        f"Cannot run on master {master}: {what}. ember runs jobs on this machine (local, "
        f"local[N], local[*] or local[N,F]); clusters come from executor plugins: {dask} to run "
        f"on a Dask cluster (installed executor plugins: {', '.join(installed) or 'none'})"
    )
