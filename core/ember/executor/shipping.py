"""User functions travel to each worker once per pool, not once per task or batch.

Tasks are pickled with cloudpickle, but every plain function met on the way is replaced by
the digest of its own pickle (``persistent_id``).  A worker receives the pickle of a digest the
first time a task needs it and keeps those bytes; later tasks, and the next batches, which
build new RDDs around the same functions, send only digests.  Digests are of the bytes, so a
function whose captured values changed between batches gets a new digest and is sent again,
which keeps Spark's semantics (a task sees the closure as it was when the job started).
Workers unpickle the functions for every task, as PySpark's workers do, so state a function
keeps in its closure does not leak from one task into the next.

A stage's tasks share their lineage, and some of it grows with the number of partitions (the
ranges of a batch of 10,000 files, the map outputs of a shuffle).  Large immutable values
(tuples and frozensets of plain data, frozen dataclasses of it, long strings) therefore go into
the stage's *common* pickle, which a worker receives and unpickles once per stage; tasks refer
to them by index.  Tasks that differ only in their partition (every stage the scheduler makes)
are pickled once, as a template that each task unpickles afresh with its own partition number;
other tasks are pickled one by one.  Shipping a stage costs its size plus its tasks, not their
product.  Immutable values are safe to share between the tasks of a worker; functions and
everything mutable stay per task.

Pickling a function costs tens of microseconds, and every batch builds new wrapper closures
around the same user functions, so the driver also remembers digests by *structural key*: the
function's code plus what its pickle is made of (closure values, defaults, referenced
globals), where every part is immutable (numbers, strings, tuples of them, modules, classes
and functions pickled by reference, functions keyed the same way).  A function holding
anything mutable (a list, a dict, an object) has no key and is pickled again every stage.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import pickle
import types
import weakref
from collections import ChainMap, OrderedDict
from collections.abc import Hashable, Sequence
from typing import Any

import cloudpickle
from cloudpickle.cloudpickle import _code_reduce, _extract_code_globals, _should_pickle_by_reference

Digest = bytes
_VALUE_ATOMS = (type(None), bool, int, str, bytes)
_REPR_ATOMS = (float, complex)  # by repr: 0.0 == -0.0 but they pickle differently
_REFERENCE_KINDS = (types.ModuleType, types.BuiltinFunctionType)
#: a tuple or frozenset this long, a string or bytes this long, is shipped once per stage
SHARED_MIN_ITEMS = 16
SHARED_MIN_LENGTH = 4096


_by_reference: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()
_PENDING = object()


def pickled_by_reference(value) -> bool:
    """Whether cloudpickle pickles ``value`` (a function or class) as its importable name."""
    try:
        return _by_reference[value]
    except KeyError:
        result = _by_reference[value] = _should_pickle_by_reference(value)
        return result
    except TypeError:  # not weak-referenceable
        return _should_pickle_by_reference(value)


def structural_key(value, memo: dict):
    """A hashable key equal for two values only when they pickle alike; None when unsure.

    ``memo`` (function id -> (function, key)) lives for one stage, so shared functions are
    keyed once and recursive ones are detected."""
    kind = type(value)
    if kind in _VALUE_ATOMS:
        return (kind, value)
    if kind in _REPR_ATOMS:
        return (kind, repr(value))
    if kind is object:  # a sentinel: every bare object() pickles the same
        return (object,)
    if kind is tuple:
        keys = tuple(structural_key(item, memo) for item in value)
        return None if None in keys else (tuple, keys)
    if kind is types.FunctionType:
        known = memo.get(id(value))
        if known is None:
            memo[id(value)] = (value, _PENDING)
            known = memo[id(value)] = (value, _function_key(value, memo))
        return None if known[1] is _PENDING else known[1]
    if kind in _REFERENCE_KINDS or (isinstance(value, type) and pickled_by_reference(value)):
        return (kind, value)
    return None


def _function_key(function: types.FunctionType, memo: dict):
    if pickled_by_reference(function):
        return (types.FunctionType, function)
    if function.__dict__:
        return None  # attributes set on a function are pickled with it: no shortcut
    names = sorted(n for n in _extract_code_globals(function.__code__) if n in function.__globals__)
    try:
        cells = tuple(cell.cell_contents for cell in function.__closure__ or ())
    except ValueError:  # an empty cell (a name assigned after the function was made)
        return None
    parts = (
        cells,
        function.__defaults__,
        tuple(sorted((function.__kwdefaults__ or {}).items())),
        tuple(sorted(function.__annotations__.items())),
        tuple((n, function.__globals__[n]) for n in names),
    )
    key = structural_key(parts, memo)
    if key is None:
        return None
    return (function.__code__, function.__qualname__, function.__module__, function.__doc__, key)


def _code_with_filename(code_args: tuple, filename: str) -> types.CodeType:
    return types.CodeType(*code_args).replace(co_filename=filename)


def _reduce_code(code: types.CodeType):
    """cloudpickle's code pickle with the real file name put back: cloudpickle ships
    ``<dynamic-code>``, and tracebacks of user functions would lose their file and source."""
    _, code_args = _code_reduce(code)
    return _code_with_filename, (code_args, code.co_filename)


def is_plain_data(value) -> bool:
    """Whether ``value`` is immutable all the way down: numbers, strings, bytes, and tuples,
    frozensets and frozen dataclasses (of importable classes) of them."""
    kind = type(value)
    if kind in _VALUE_ATOMS or kind in _REPR_ATOMS:
        return True
    if kind is tuple or kind is frozenset:
        return all(map(is_plain_data, value))
    params = getattr(kind, "__dataclass_params__", None)
    if params is None or not params.frozen or not pickled_by_reference(kind):
        return False
    state = getattr(value, "__dict__", None)
    if state is None:
        return all(is_plain_data(getattr(value, f.name)) for f in dataclasses.fields(value))
    return all(map(is_plain_data, state.values()))


class SharedValues:
    """The large immutable values met while pickling one stage's tasks, in the order met.

    A task's pickle refers to them by index (a persistent id that is an ``int``, where
    function digests are ``bytes``); they travel in the stage's common pickle."""

    def __init__(self):
        self.values: list = []
        self._index: dict[int, tuple[Any, int | None]] = {}  # id -> (value, index or None)

    def index_of(self, value) -> int | None:
        """The index of ``value`` in the shared pickle; None to pickle it inside the task."""
        known = self._index.get(id(value))
        if known is None:
            shared = is_plain_data(value)
            known = self._index[id(value)] = (value, len(self.values) if shared else None)
            if shared:
                self.values.append(value)
        return known[1]


def _template(tasks: Sequence):
    """The first task, when every task is of its class and holds the very same objects as it
    but for its ``partition``; otherwise None."""
    first = tasks[0] if tasks else None
    state = getattr(first, "__dict__", None)
    if state is None or "partition" not in state:
        return None
    others = [(name, value) for name, value in state.items() if name != "partition"]
    for task in tasks[1:]:
        own = getattr(task, "__dict__", None)
        if (
            type(task) is not type(first)
            or own is None
            or own.keys() != state.keys()
            or any(own[name] is not value for name, value in others)
        ):
            return None
    return first


#: the kinds of value worth sharing, by the length from which they are
_SHARED_MIN_LENGTH = {
    tuple: SHARED_MIN_ITEMS,
    frozenset: SHARED_MIN_ITEMS,
    str: SHARED_MIN_LENGTH,
    bytes: SHARED_MIN_LENGTH,
}


class _DigestPickler(cloudpickle.CloudPickler):
    """Pickles ``root`` with every other function replaced by its digest and, when ``shared``
    is given, large immutable values replaced by their index in it."""

    dispatch_table = ChainMap({types.CodeType: _reduce_code}, cloudpickle.CloudPickler.dispatch_table)

    def __init__(self, file, shipper: FunctionShipper, memo: dict, shared: SharedValues | None = None):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._shipper, self._stage_memo, self._shared = shipper, memo, shared
        self._root: Any = None
        self.digests: set[Digest] = set()

    def dump(self, obj):
        self._root = obj
        return super().dump(obj)

    def persistent_id(self, obj):
        kind = type(obj)
        if kind is not types.FunctionType or obj is self._root:
            minimum = _SHARED_MIN_LENGTH.get(kind)
            if minimum is not None and self._shared is not None and len(obj) >= minimum:
                return self._shared.index_of(obj)
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
        self._by_key: dict[tuple, Digest] = {}
        self._known: dict[Hashable, set[Digest]] = {}
        self._forget: dict[Hashable, list[Digest]] = {}
        self._in_progress: set[int] = set()
        self._keys: dict = {}
        #: how many function pickles were sent to workers (what "sent once" is checked with)
        self.payloads_sent = 0

    @property
    def distinct_functions(self) -> int:
        """How many distinct function pickles the driver holds."""
        return len(self._payloads)

    def pickle_stage(self, tasks: Sequence) -> PickledStage:
        """A stage ready to ship: what its tasks have in common, what each has of its own,
        and the function digests they need, nested ones included."""
        self._keys = {}  # structural keys of this stage's functions, by id
        shared = SharedValues()
        buffer = io.BytesIO()
        pickler = _DigestPickler(buffer, self, {}, shared)

        def dump(task) -> bytes:
            pickler.dump(task)
            pickler.clear_memo()  # each pickle stands alone
            data = buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            return data

        template = _template(tasks)
        try:
            common: tuple[list[Any], bytes | None]
            if template is None:
                own: list = [dump(task) for task in tasks]
                common = (shared.values, None)
            else:
                own = [task.partition for task in tasks]
                common = (shared.values, dump(template))
            pickled_common = cloudpickle.dumps(common, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as error:  # PySpark's wording: the closure holds what cannot travel
            raise pickle.PicklingError(
                f"Could not serialize object: {type(error).__name__}: {error}"
            ) from error
        return PickledStage(pickled_common, own, self._closure(pickler.digests))

    def digest_of(self, function: types.FunctionType, memo: dict) -> Digest | None:
        """The digest of ``function``'s pickle; None to pickle it inline (an importable
        function, which pickles as its name, or one being pickled already: recursion)."""
        key = id(function)
        if key in memo:
            return memo[key][1]
        if key in self._in_progress:
            return None
        if pickled_by_reference(function):
            memo[key] = (function, None)  # pickled as "module.name": nothing worth shipping
            return None
        structure = structural_key(function, self._keys)
        digest = self._by_key.get(structure) if structure is not None else None
        if digest is not None and digest in self._payloads:
            memo[key] = (function, digest)
            return digest
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
        if structure is not None:
            if len(self._by_key) >= self._capacity:
                self._by_key.clear()
            self._by_key[structure] = digest
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

    def updates_for(
        self, worker: Hashable, needed: frozenset[Digest]
    ) -> tuple[dict[Digest, bytes], list[Digest]]:
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


@dataclasses.dataclass(frozen=True)
class PickledStage:
    """What ships for one stage: ``common`` once to each worker, then ``tasks[i]`` per task:
    the task's own pickle (bytes), or its partition (an int) when the stage has a template."""

    common: bytes
    tasks: list
    needed: frozenset[Digest]


class StageCommon:
    """What the tasks of one stage have in common, where they run: unpickled by the first
    task (inside it, so a failure is the task's), then kept for the others."""

    def __init__(self, pickled: bytes):
        self._pickled = pickled
        self._loaded: tuple[list, bytes | None] | None = None

    def _load(self) -> tuple[list, bytes | None]:
        if self._loaded is None:
            self._loaded = pickle.loads(self._pickled)
        return self._loaded

    def __getitem__(self, index: int):
        """Shared value ``index``."""
        return self._load()[0][index]

    @property
    def template(self) -> bytes | None:
        return self._load()[1]


class FunctionCache:
    """The worker's side: function pickles by digest, unpickled afresh for every task."""

    def __init__(self):
        self._payloads: dict[Digest, bytes] = {}

    def update(self, new: dict[Digest, bytes], forget: list[Digest]) -> None:
        self._payloads.update(new)
        for digest in forget:
            self._payloads.pop(digest, None)

    def load_task(self, own, common: StageCommon):
        """A task (``PickledStage.tasks[i]``) with fresh copies of its functions."""
        if type(own) is int:
            assert common.template is not None, "a stage with a template ships partitions"
            task = self._unpickle(common.template, common)
            task.partition = own
            return task
        return self._unpickle(own, common)

    def _unpickle(self, data: bytes, common: StageCommon):
        return _DigestUnpickler(io.BytesIO(data), self._payloads, {}, common).load()


class _DigestUnpickler(pickle.Unpickler):
    """Resolves digests from the cache (``loaded`` shares one object per digest in a task)
    and indexes into the stage's shared values."""

    def __init__(self, file, payloads: dict[Digest, bytes], loaded: dict[Digest, Any], shared: StageCommon):
        super().__init__(file)
        self._payloads, self._loaded, self._shared = payloads, loaded, shared

    def persistent_load(self, pid):
        if type(pid) is int:
            return self._shared[pid]
        if pid not in self._loaded:
            self._loaded[pid] = _DigestUnpickler(
                io.BytesIO(self._payloads[pid]), self._payloads, self._loaded, self._shared
            ).load()
        return self._loaded[pid]
