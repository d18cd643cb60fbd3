"""Helpers for the executor tests: find a pool's segments, wait on conditions, check pids."""

from __future__ import annotations

import os
import tempfile

from ember.executor.segments import SHM_DIR
from ember.plugins.testing import wait_until  # noqa: F401 - the executor tests' poller


def pool_files(prefix: str) -> list[str]:
    """Every shared-memory object and temp path a pool with ``prefix`` owns right now."""
    found = []
    for directory in (SHM_DIR, tempfile.gettempdir()):
        if os.path.isdir(directory):
            found += [
                os.path.join(directory, n) for n in os.listdir(directory) if n.startswith(prefix.rstrip("_"))
            ]
    return found


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped by its parent) counts as dead
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False
