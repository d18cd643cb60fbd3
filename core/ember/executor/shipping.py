"""User functions travel to each worker once per pool, not once per task or batch.

Tasks are pickled with cloudpickle, but every plain function met on the way is replaced by
the digest of its own pickle (``persistent_id``).  A worker receives the pickle of a digest the
first time a task needs it and keeps those bytes; later tasks, and the next batches, which
build new RDDs around the same functions, send only digests.  Digests are of the bytes, so a
function whose captured values changed between batches gets a new digest and is sent again,
which keeps Spark's semantics (a task sees the closure as it was when the job started).
Workers unpickle the functions for every task, as PySpark's workers do, so state a function
keeps in its closure does not leak from one task into the next.
"""
from __future__ import annotations

import hashlib
import io
import pickle
import types
from collections import OrderedDict
from typing import Any, Hashable, Sequence

import cloudpickle

Digest = bytes


class _DigestPickler(cloudpickle.CloudPickler):
    """Pickles ``root`` with every other function replaced by its digest."""

    def __init__(self, file, shipper: "FunctionShipper", memo: dict):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._shipper, self._stage_memo = shipper, memo
        self._root: Any = None
        self.digests: set[Digest] = set()

    def dump(self, obj):
        self._root = obj
        return super().dump(obj)

    def persistent_id(self, obj):
        if type(obj) is not types.FunctionType or obj is self._root:
            return None
        digest = self._shipper.digest_of(obj, self._stage_memo)
        if digest is not None:
            self.digests.add(digest)
        return digest


class FunctionShipper:
    """The driver's side: pickles tasks and tracks which function bytes each worker holds."""

    def __init__(self, capacity: int = 4096):
        self._capacity = capacity
        self._payloads: OrderedDict[Digest, bytes] = OrderedDict()
        self._dependencies: dict[Digest, frozenset[Digest]] = {}
        self._known: dict[Hashable, set[Digest]] = {}
        self._forget: dict[Hashable, list[Digest]] = {}
        self._in_progress: set[int] = set()
        #: how many function pickles were sent to workers (what "sent once" is checked with)
        self.payloads_sent = 0

    def pickle_tasks(self, tasks: Sequence) -> list[tuple[bytes, frozenset[Digest]]]:
        """Each task's pickle and the digests it needs, nested ones included."""
        memo: dict = {}
        pickled = []
        for task in tasks:
            buffer = io.BytesIO()
            pickler = _DigestPickler(buffer, self, memo)
            pickler.dump(task)
            pickled.append((buffer.getvalue(), self._closure(pickler.digests)))
        return pickled

    def digest_of(self, function: types.FunctionType, memo: dict) -> Digest | None:
        """The digest of ``function``'s pickle (None while it is being pickled: recursion)."""
        key = id(function)
        if key in memo:
            return memo[key][1]
        if key in self._in_progress:
            return None
        self._in_progress.add(key)
        try:
            buffer = io.BytesIO()
            pickler = _DigestPickler(buffer, self, memo)
            pickler.dump(function)
        finally:
            self._in_progress.discard(key)
        data = buffer.getvalue()
        digest = hashlib.blake2b(data, digest_size=16).digest()
        memo[key] = (function, digest)  # holding the function keeps its id unique for the stage
        self._payloads[digest] = data
        self._payloads.move_to_end(digest)
        self._dependencies[digest] = frozenset(pickler.digests)
        self._evict()
        return digest

    def _closure(self, digests: set[Digest]) -> frozenset[Digest]:
        needed, pending = set(), list(digests)
        while pending:
            digest = pending.pop()
            if digest not in needed:
                needed.add(digest)
                pending.extend(self._dependencies.get(digest, ()))
        return frozenset(needed)

    def _evict(self) -> None:
        while len(self._payloads) > self._capacity:
            digest, _ = self._payloads.popitem(last=False)
            self._dependencies.pop(digest, None)
            for worker, known in self._known.items():
                if digest in known:
                    known.discard(digest)
                    self._forget[worker].append(digest)

    def updates_for(self, worker: Hashable, needed: frozenset[Digest]) -> tuple[dict[Digest, bytes], list[Digest]]:
        """What ``worker`` must receive before a task needing ``needed``: (new payloads, to forget)."""
        known = self._known.setdefault(worker, set())
        forget = self._forget.setdefault(worker, [])
        new = {digest: self._payloads[digest] for digest in needed - known}
        known.update(new)
        self.payloads_sent += len(new)
        self._forget[worker] = []
        return new, forget

    def drop_worker(self, worker: Hashable) -> None:
        """A worker died: its replacement starts with nothing."""
        self._known.pop(worker, None)
        self._forget.pop(worker, None)


class FunctionCache:
    """The worker's side: function pickles by digest, unpickled afresh for every task."""

    def __init__(self):
        self._payloads: dict[Digest, bytes] = {}

    def update(self, new: dict[Digest, bytes], forget: list[Digest]) -> None:
        self._payloads.update(new)
        for digest in forget:
            self._payloads.pop(digest, None)

    def load(self, data: bytes):
        loaded: dict[Digest, Any] = {}
        payloads = self._payloads

        class _Unpickler(pickle.Unpickler):
            def persistent_load(self, digest):
                if digest not in loaded:
                    loaded[digest] = _Unpickler(io.BytesIO(payloads[digest])).load()
                return loaded[digest]

        return _Unpickler(io.BytesIO(data)).load()
