"""What the tests of state kept in the workers' memory share: which worker processes ran a
job's user functions and how often (where a state partition lives, whether a batch computed an
earlier one again, which worker to kill), and their input words with the running count of each
word after each batch (PySpark's updateStateByKey output)."""

from __future__ import annotations

import os
import signal
from collections import Counter
from pathlib import Path

WORDS = [["a", "b", "a"], ["b", "c"], ["a", "d"], ["c", "e", "e"], [], ["a"], ["b", "f"], []]
RUNNING_COUNTS = [
    [("a", 2), ("b", 1)],
    [("a", 2), ("b", 2), ("c", 1)],
    [("a", 3), ("b", 2), ("c", 1), ("d", 1)],
    [("a", 3), ("b", 2), ("c", 2), ("d", 1), ("e", 2)],
    [("a", 3), ("b", 2), ("c", 2), ("d", 1), ("e", 2)],
    [("a", 4), ("b", 2), ("c", 2), ("d", 1), ("e", 2)],
    [("a", 4), ("b", 3), ("c", 2), ("d", 1), ("e", 2), ("f", 1)],
    [("a", 4), ("b", 3), ("c", 2), ("d", 1), ("e", 2), ("f", 1)],
]


class CallLog:
    """A user function calls ``record(label)`` in whatever process runs it; each process
    appends its labels to a file named by its pid.  Picklable (a directory name)."""

    def __init__(self, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = str(directory)

    def record(self, label: str) -> None:
        with open(os.path.join(self.directory, str(os.getpid())), "a") as log:
            log.write(f"{label}\n")

    def by_pid(self) -> dict[int, list[str]]:
        found = {}
        for name in os.listdir(self.directory):
            with open(os.path.join(self.directory, name)) as log:
                found[int(name)] = log.read().splitlines()
        return found

    def counts(self) -> Counter:
        """How often each label was recorded, in every process together."""
        return Counter(label for labels in self.by_pid().values() for label in labels)

    def pids_of(self, label: str) -> set[int]:
        return {pid for pid, labels in self.by_pid().items() if label in labels}


def kill_a_worker_that_called(sc, calls: CallLog) -> int:
    """SIGKILL one of ``sc``'s worker processes that recorded a call (one holding state)."""
    holders = set(calls.by_pid()) & set(sc.executor.worker_pids)
    assert holders, "no worker process of the pool recorded a call"
    victim = min(holders)
    os.kill(victim, signal.SIGKILL)
    return victim
