"""The driver's table of where each block is: which workers hold it, and its size.

The driver never holds a task's block, only its place.  Blocks the driver itself creates
(``parallelize`` slices, broadcasts, received blocks) are the exception: the driver keeps their
encoded bytes, as Spark's driver keeps a broadcast's, hands them to a worker with the next stage
and hands them again when that worker is lost.  A block that was on a lost worker only, and
that the driver does not have, is lost: ``worker_lost`` names them, and the table keeps them
with no holder, so a task that reads one reports it lost (the DAG scheduler then recomputes
it) where a block never written is a plain ``KeyError``.

Local blocks (objects a worker keeps in its memory, ``TaskContext.keep_local``: a stream's
state partitions) are tracked apart: only where each one is kept, so that the task that
prefers it runs there.  One lost with its worker is simply forgotten: it was never readable
elsewhere, and the task that wanted it recomputes it from its lineage.  A task Dask ran
elsewhere than where its preferred blocks are (work stealing) recomputed them there: the
copies left behind are dropped, as is an older copy of a block kept again elsewhere, so no
worker keeps objects no task will be sent to.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Iterable


def _slot(block_id: str) -> int:
    """Where a driver's block goes: a partition's slice (an id ending in its number) to the
    worker that runs that partition's tasks (``partition % workers``), others by a hash."""
    last = block_id.rsplit("/", 1)[-1]
    return int(last) if last.isdigit() else zlib.crc32(block_id.encode())


class BlockTable:
    def __init__(self):
        self._holders: dict[str, list[str]] = {}
        #: block id -> (encoded bytes, records)
        self._sizes: dict[str, tuple[int, int]] = {}
        self._driver_copies: dict[str, bytes] = {}
        self._unplaced: set[str] = set()
        self._removed: list[str] = []
        #: local block id -> the worker keeping it; ids each worker must drop
        self._local: dict[str, str] = {}
        self._local_drops: dict[str, list[str]] = {}
        self._lock = threading.Lock()  # finalizers remove blocks from any thread

    # -- blocks arriving ---------------------------------------------------------------------
    def written(self, address: str, blocks: dict[str, tuple[int, int]]) -> None:
        """A task on ``address`` wrote ``blocks``; a block written again lives where it was last."""
        with self._lock:
            for block_id, size in blocks.items():
                self._holders[block_id] = [address]
                self._sizes[block_id] = size
                self._driver_copies.pop(block_id, None)
                self._unplaced.discard(block_id)

    def kept_local(
        self, address: str, kept: Iterable[str], dropped: Iterable[str], preferred: Iterable[str] = ()
    ) -> None:
        """A task on ``address`` kept and dropped these local blocks there; the blocks it
        ``preferred`` (and those it kept) that another worker keeps are dropped there."""
        kept = list(kept)
        with self._lock:
            for block_id in [*preferred, *kept]:
                elsewhere = self._local.get(block_id)
                if elsewhere is not None and elsewhere != address:
                    self._local_drops.setdefault(elsewhere, []).append(block_id)
                    del self._local[block_id]
            for block_id in dropped:
                if self._local.get(block_id) == address:
                    del self._local[block_id]
            for block_id in kept:
                self._local[block_id] = address

    def take_local_drops(self) -> dict[str, list[str]]:
        """Local blocks each worker must drop (exact ids), since the last call."""
        with self._lock:
            drops, self._local_drops = self._local_drops, {}
        return drops

    def from_driver(self, block_id: str, data: bytes, records: int) -> None:
        with self._lock:
            self._holders.pop(block_id, None)
            self._driver_copies[block_id] = data
            self._sizes[block_id] = (len(data), records)
            self._unplaced.add(block_id)

    def placement(self, workers: list[str]) -> dict[str, dict[str, bytes]]:
        """Where the driver's blocks not on any worker go: {address: {block id: bytes}}."""
        plan: dict[str, dict[str, bytes]] = {}
        with self._lock:
            for block_id in self._unplaced:
                address = workers[_slot(block_id) % len(workers)]
                plan.setdefault(address, {})[block_id] = self._driver_copies[block_id]
        return plan

    def placed(self, plan: dict[str, dict[str, bytes]]) -> None:
        with self._lock:
            for address, blocks in plan.items():
                for block_id in blocks:
                    if block_id in self._unplaced:
                        self._unplaced.discard(block_id)
                        self._holders[block_id] = [address]

    def replicated(self, address: str, block_ids: Iterable[str]) -> None:
        with self._lock:
            for block_id in block_ids:
                holders = self._holders.get(block_id)
                if holders is not None and address not in holders:
                    holders.append(address)

    # -- blocks leaving ----------------------------------------------------------------------
    def remove(self, prefixes: tuple[str, ...]) -> None:
        with self._lock:
            for table in (self._holders, self._sizes, self._driver_copies, self._local):
                for block_id in [b for b in table if b.startswith(prefixes)]:
                    del table[block_id]
            self._unplaced = {b for b in self._unplaced if not b.startswith(prefixes)}
            self._removed.extend(prefixes)

    def take_removed(self) -> list[str]:
        """Prefixes removed since the last call, for the workers to drop too."""
        with self._lock:
            removed, self._removed = self._removed, []
        return removed

    def worker_lost(self, address: str) -> list[str]:
        """Forget ``address``'s copies and local blocks; the ids of the blocks (not local
        ones) that had no other copy."""
        lost = []
        with self._lock:
            self._local = {b: a for b, a in self._local.items() if a != address}
            self._local_drops.pop(address, None)
            for block_id, holders in list(self._holders.items()):
                if address not in holders:
                    continue
                holders.remove(address)
                if holders:
                    continue
                if block_id in self._driver_copies:
                    del self._holders[block_id]
                    self._unplaced.add(block_id)
                else:
                    self._sizes.pop(block_id, None)
                    lost.append(block_id)
        return lost

    # -- reading -----------------------------------------------------------------------------
    def has(self, block_id: str) -> bool:
        with self._lock:
            return bool(self._holders.get(block_id)) or block_id in self._driver_copies

    def driver_copy(self, block_id: str) -> bytes | None:
        with self._lock:
            return self._driver_copies.get(block_id)

    def lost(self) -> set[str]:
        """The blocks lost with their workers (and not written again since)."""
        with self._lock:
            return {block_id for block_id, holders in self._holders.items() if not holders}

    def holders(self, block_id: str) -> list[str]:
        with self._lock:
            return list(self._holders.get(block_id, ()))

    def size(self, block_id: str) -> tuple[int, int] | None:
        with self._lock:
            return self._sizes.get(block_id)

    def snapshot(self) -> dict[str, tuple[str, ...]]:
        """Block id -> holders, for the tasks of a stage."""
        with self._lock:
            return {block_id: tuple(holders) for block_id, holders in self._holders.items()}

    def local_holder(self, block_ids: Iterable[str]) -> str | None:
        """The worker keeping the first of ``block_ids`` that one keeps, if any."""
        with self._lock:
            for block_id in block_ids:
                address = self._local.get(block_id)
                if address is not None:
                    return address
        return None

    def local_by_worker(self) -> dict[str, int]:
        """How many local blocks each worker keeps."""
        counts: dict[str, int] = {}
        with self._lock:
            for address in self._local.values():
                counts[address] = counts.get(address, 0) + 1
        return counts

    def holder_addresses(self) -> set[str]:
        with self._lock:
            kept = set(self._local.values())
            return kept | {address for holders in self._holders.values() for address in holders}

    def by_worker(self) -> dict[str, tuple[int, int, int]]:
        """Each worker's (blocks, records, encoded bytes), replicas included."""
        usage: dict[str, list[int]] = {}
        with self._lock:
            for block_id, holders in self._holders.items():
                size, records = self._sizes.get(block_id, (0, 0))
                for address in holders:
                    totals = usage.setdefault(address, [0, 0, 0])
                    totals[0] += 1
                    totals[1] += records
                    totals[2] += size
        return {address: (totals[0], totals[1], totals[2]) for address, totals in usage.items()}
