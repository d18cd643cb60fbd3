"""Peak memory of a process and everything it started (driver, workers, a JVM)."""

from __future__ import annotations

import os


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(parent, []).append(int(name))
    return tree


def _peak_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_peak_mib(root: int | None = None) -> float:
    """Sum of each live process's peak RSS (VmHWM) over ``root``'s tree: an upper bound of
    the tree's peak, read before the workers exit."""
    root = os.getpid() if root is None else root
    tree, total, pending = _children(), 0, [root]
    while pending:
        pid = pending.pop()
        total += _peak_kib(pid)
        pending.extend(tree.get(pid, ()))
    return total / 1024
