"""Blocks kept in shared memory, or in memory-mapped temp files when shared memory runs out.

Every process of a pool (the driver and its workers) opens the same ``SegmentStore``: a block
is one POSIX shared-memory object (a file in ``/dev/shm``, what ``multiprocessing.shared_memory``
creates) named after the pool and the block id, so any process finds any block without asking
the driver.  The objects are opened directly rather than through
``multiprocessing.shared_memory.SharedMemory``, whose resource tracker on Python < 3.13 starts a
process in every worker and unlinks a segment when any process that merely attached exits.

A block is written under a temporary name and renamed into place, so readers never see half
a block and a worker killed mid-write leaves only a temporary file that names its pid.  Shared
memory used by the pool is counted against a budget (``spark.ember.shm.budget``, default half of
/dev/shm); a block that does not fit, or meets a full /dev/shm, goes to the file tier instead.

Names start with ``ember_<driver pid>_<nonce>_``, which is what the clean-ups look for: the
driver's ``remove_all`` at stop, workers when they notice their driver died, and
``sweep_stale`` at the next start for pools whose driver is gone.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import itertools
import mmap
import os
import re
import secrets
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import quote

from ember.executor.base import BlockStore
from ember.plugins.processes import process_alive
from ember.serde.codec import decode_block, encode_block

SHM_DIR = "/dev/shm"
BUDGET_SETTING = "spark.ember.shm.budget"
_POOL_NAME = re.compile(r"^ember_(\d+)_[0-9a-f]+_")
_UNITS = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


def parse_size(text: str) -> int:
    """``"1m"``, ``"512k"``, ``"1048576"`` -> bytes (Spark's size notation)."""
    match = re.fullmatch(r"\s*(\d+)\s*([bkmg]?)i?b?\s*", str(text).lower())
    if match is None:
        raise ValueError(f"Invalid size {text!r} for {BUDGET_SETTING}: use e.g. 64m, 512k or bytes")
    return int(match.group(1)) * _UNITS[match.group(2)]


@dataclass(frozen=True)
class SegmentSpace:
    """Where one pool keeps its blocks; plain data, sent to every worker."""

    prefix: str
    shm_dir: str | None
    file_dir: str
    shm_budget: int

    @classmethod
    def create(cls, conf=None) -> SegmentSpace:
        sweep_stale()
        prefix = f"ember_{os.getpid()}_{secrets.token_hex(4)}_"
        shm_dir = SHM_DIR if os.path.isdir(SHM_DIR) and os.access(SHM_DIR, os.W_OK) else None
        configured = conf.get(BUDGET_SETTING) if conf is not None else None
        if configured is not None:
            budget = parse_size(configured)
        elif shm_dir is not None:
            stats = os.statvfs(shm_dir)
            budget = stats.f_blocks * stats.f_frsize // 2
        else:
            budget = 0
        return cls(prefix, shm_dir, os.path.join(tempfile.gettempdir(), prefix.rstrip("_")), budget)


def _write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` to ``fd``.  ``os.write`` lets the process's other threads run
    while the kernel copies (a copy into a mapping would hold the GIL), so a receiver's storing
    thread does not stop its reading thread; a full shared memory fails with ENOSPC."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _block_name(prefix: str, block_id: str) -> str:
    return prefix + "b." + quote(block_id, safe="")


class _ShmUsage:
    """The pool's bytes in /dev/shm, one counter shared by all its processes (locked file; the
    file lock is per process, so the threads of one process, a task and a receiver, also take
    a thread lock).  Once closed it counts nothing: a thread still storing or removing blocks
    must not read or write the closed descriptor's number, which the process may have reused."""

    def __init__(self, path: str):
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self._threads = threading.Lock()

    def try_reserve(self, size: int, budget: int) -> bool:
        with self._locked() as fd:
            if fd is None:
                return False
            used = int.from_bytes(os.pread(fd, 8, 0) or b"\0", "little")
            if used + size > budget:
                return False
            os.pwrite(fd, (used + size).to_bytes(8, "little"), 0)
            return True

    def used(self) -> int:
        with self._locked() as fd:
            return 0 if fd is None else int.from_bytes(os.pread(fd, 8, 0) or b"\0", "little")

    def release(self, size: int) -> None:
        with self._locked() as fd:
            if fd is not None:
                used = int.from_bytes(os.pread(fd, 8, 0) or b"\0", "little")
                os.pwrite(fd, max(0, used - size).to_bytes(8, "little"), 0)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[int | None]:
        """The counter's descriptor, locked for this thread and process; None once closed."""
        with self._threads:
            fd = self._fd
            if fd < 0:
                yield None
                return
            fcntl.lockf(fd, fcntl.LOCK_EX)
            try:
                yield fd
            finally:
                fcntl.lockf(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        with self._threads:
            fd, self._fd = self._fd, -1
        if fd >= 0:
            os.close(fd)


class SegmentStore(BlockStore):
    """The BlockStore of a pool, the same in the driver and in every worker."""

    def __init__(self, space: SegmentSpace):
        self.space = space
        self._temp_names = itertools.count()
        self._removed = False
        self._usage = (
            _ShmUsage(os.path.join(space.shm_dir, space.prefix + "usage")) if space.shm_dir else None
        )

    # -- BlockStore -----------------------------------------------------------------------
    def put_block(self, block_id: str, records: list) -> None:
        self.put_encoded(block_id, encode_block(records, f"storing block {block_id!r}"))

    def get_block(self, block_id: str) -> list:
        return self.read_block(block_id, decode_block)

    def put_encoded(self, block_id: str, data: bytes) -> None:
        """Store already-encoded bytes (a task result too large to send inline)."""
        if self._removed:
            raise RuntimeError(
                f"cannot store block {block_id!r}: the executor was shut down " "(SparkContext stopped)"
            )
        name = _block_name(self.space.prefix, block_id)
        usage = self._usage  # read once: remove_all, on another thread too, drops it
        tiers: list[tuple[str, _ShmUsage | None]] = [(self.space.file_dir, None)]
        if usage is not None and self.space.shm_dir is not None:
            tiers.insert(0, (self.space.shm_dir, usage))
        for index, (directory, tier_usage) in enumerate(tiers):
            if self._write(directory, name, data, tier_usage):
                for other, _ in tiers[:index] + tiers[index + 1 :]:
                    self._unlink(other, name)
                return
        raise AssertionError("the file tier accepts every block")

    def read_block(self, block_id: str, decoder: Callable):
        """``decoder`` applied to the block's bytes, read in place from the mapping."""
        name = _block_name(self.space.prefix, block_id)
        for directory in self._tiers():
            try:
                fd = os.open(os.path.join(directory, name), os.O_RDONLY)
            except FileNotFoundError:
                continue
            try:
                with mmap.mmap(fd, 0, prot=mmap.PROT_READ) as mapped, memoryview(mapped) as view:
                    return decoder(view)
            finally:
                os.close(fd)
        raise KeyError(f"block {block_id!r} is not stored (removed, or never written)")

    def has_block(self, block_id: str) -> bool:
        name = _block_name(self.space.prefix, block_id)
        return any(os.path.exists(os.path.join(d, name)) for d in self._tiers())

    def remove_blocks(self, prefixes: Iterable[str]) -> None:
        names = tuple(_block_name(self.space.prefix, p) for p in prefixes)
        for directory in self._tiers():
            for entry in _scan(directory):
                if entry.name.startswith(names):
                    self._unlink(directory, entry.name)

    # -- sizes, for monitoring ------------------------------------------------------------------
    def shm_bytes(self) -> int | None:
        """The pool's bytes in shared memory now (None without /dev/shm)."""
        usage = self._usage
        return None if usage is None else usage.used()

    def block_bytes(self, block_id: str) -> int | None:
        name = _block_name(self.space.prefix, block_id)
        for directory in self._tiers():
            try:
                return os.stat(os.path.join(directory, name)).st_size
            except FileNotFoundError:
                continue
        return None

    # -- clean-up ----------------------------------------------------------------------------
    def remove_partial_writes(self, pid: int) -> None:
        """Drop the temporary files a dead process ``pid`` was writing."""
        mark = f"{self.space.prefix}t.{pid}."
        for directory in self._tiers():
            for entry in _scan(directory):
                if entry.name.startswith(mark):
                    self._unlink(directory, entry.name)

    def remove_all(self) -> None:
        """Drop every block and file of the pool (at stop, or when its driver died)."""
        self._removed = True
        if self._usage is not None:
            self._usage.close()
            self._usage = None
        remove_pool(self.space.prefix, self.space.shm_dir, self.space.file_dir)

    # -- internals ---------------------------------------------------------------------------
    def _tiers(self) -> list[str]:
        return [d for d in (self.space.shm_dir, self.space.file_dir) if d]

    def _write(self, directory: str, name: str, data: bytes, usage: _ShmUsage | None) -> bool:
        """Write ``data`` as ``name`` atomically; False when shared memory cannot hold it.
        ``usage`` counts the bytes of the shared-memory tier, None for the file tier."""
        size = len(data)
        if usage is not None and not usage.try_reserve(size, self.space.shm_budget):
            return False
        if usage is None:
            os.makedirs(directory, mode=0o700, exist_ok=True)
        temp = os.path.join(directory, f"{self.space.prefix}t.{os.getpid()}.{next(self._temp_names)}")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            _write_all(fd, data)
        except OSError as error:
            os.close(fd)
            os.unlink(temp)
            if usage is not None:
                usage.release(size)
            if usage is not None and error.errno in (errno.ENOSPC, errno.ENOMEM):
                return False
            raise
        os.close(fd)
        if usage is not None:
            self._release_replaced(usage, os.path.join(directory, name))
        os.rename(temp, os.path.join(directory, name))
        return True

    def _release_replaced(self, usage: _ShmUsage, path: str) -> None:
        try:
            usage.release(os.stat(path).st_size)
        except FileNotFoundError:
            pass

    def _unlink(self, directory: str, name: str) -> None:
        path = os.path.join(directory, name)
        try:
            size = os.stat(path).st_size
            os.unlink(path)
        except FileNotFoundError:
            return
        if directory == self.space.shm_dir and self._usage is not None:
            self._usage.release(size)


def _scan(directory: str) -> list[os.DirEntry]:
    try:
        with os.scandir(directory) as entries:
            return list(entries)
    except FileNotFoundError:
        return []


def remove_pool(prefix: str, shm_dir: str | None, file_dir: str) -> None:
    """Unlink every shared-memory object named ``prefix*`` and the pool's temp directory."""
    if shm_dir:
        for entry in _scan(shm_dir):
            if entry.name.startswith(prefix):
                try:
                    os.unlink(entry.path)
                except FileNotFoundError:
                    pass
    shutil.rmtree(file_dir, ignore_errors=True)


def sweep_stale() -> None:
    """Remove what pools of dead drivers left behind (a driver killed with SIGKILL)."""
    stale: set[str] = set()
    for directory in (SHM_DIR, tempfile.gettempdir()):
        for entry in _scan(directory):
            match = _POOL_NAME.match(entry.name + "_")
            if match and not process_alive(int(match.group(1))):
                stale.add(match.group(0))
    for prefix in stale:
        remove_pool(
            prefix,
            SHM_DIR if os.path.isdir(SHM_DIR) else None,
            os.path.join(tempfile.gettempdir(), prefix.rstrip("_")),
        )
