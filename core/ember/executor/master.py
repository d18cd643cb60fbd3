"""Master URLs: ``local``, ``local[N]``, ``local[*]``, ``local[N,F]`` and plugin schemes."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ember.executor.base import Executor
from ember.executor.inprocess import InProcessExecutor
from ember.executor.pool import ProcessPoolExecutor
from ember.pluginhost import plugin_executor

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
        raise ValueError(
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
        raise ValueError(f"Invalid master URL {master!r}: the number of workers must be at least 1")
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
        raise ValueError(
            f"Could not parse master URL {master!r}: ember runs local, local[N], local[*] and "
            "local[N,F] itself; other schemes come from executor plugins "
            "(see `python -m ember plugins` for what is installed)"
        )
    return executor
