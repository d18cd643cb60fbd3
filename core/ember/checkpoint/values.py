"""The value codec of checkpoints: msgpack that carries Python's data types, and no code.

Types msgpack has no exact form for travel as extension types of their own: tuples, sets,
frozensets, ints beyond 64 bits, datetimes, dates and Decimals.  Anything else can only be
pickled, and a pickle is code that runs when it is loaded, so:

* a checkpoint holds pickles only when the job opts in (``spark.ember.checkpoint.allowPickle``),
  which also needs a secret (``spark.ember.checkpoint.pickleKey``);
* each pickle is stored with its HMAC-SHA256 under that key, and loading checks the HMAC
  before unpickling; a value whose HMAC does not verify refuses the whole file.

A list of records that are all pairs (the ``(key, value)`` records of keyed state) is stored
as two columns, which msgpack packs and unpacks without calling back into Python per record.
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import hmac
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import cloudpickle
import msgpack

from ember.checkpoint.errors import CheckpointSignatureError, CheckpointValueError
from ember.serde.collector import collector_paused

ALLOW_PICKLE = "spark.ember.checkpoint.allowPickle"
PICKLE_KEY = "spark.ember.checkpoint.pickleKey"

EXT_TUPLE, EXT_SET, EXT_FROZENSET, EXT_BIGINT, EXT_DATETIME, EXT_DATE, EXT_DECIMAL = range(1, 8)
EXT_SIGNED_PICKLE = 32
_MAC_SIZE = hashlib.sha256().digest_size
_ROWS, _PAIR_COLUMNS = 0, 1


@dataclass(frozen=True)
class PicklePolicy:
    """Whether values msgpack cannot hold may be pickled, and the key that signs them."""

    allowed: bool = False
    key: bytes | None = None

    @classmethod
    def from_conf(cls, conf) -> PicklePolicy:
        allowed = str(conf.get(ALLOW_PICKLE, "false")).strip().lower() == "true"
        key = conf.get(PICKLE_KEY)
        if allowed and not key:
            raise CheckpointValueError(
                f"{ALLOW_PICKLE}=true needs a secret in {PICKLE_KEY} to sign the pickled values "
                "with (any long random string, the same for every run of the job)"
            )
        return cls(allowed, key.encode() if key else None)

    def sign(self, data: bytes) -> bytes:
        assert self.key is not None, "from_conf refuses pickling without a key"
        return hmac.new(self.key, data, hashlib.sha256).digest()


@dataclass(frozen=True)
class PickledValue:
    """Stands for a signed pickle that was not loaded (``ValueCodec(unpickle=False)``)."""

    size: int
    verified: bool


# the exact types stored as extension types, with their code and their bytes
_SIMPLE_EXTS = {
    datetime.date: (EXT_DATE, lambda v: v.isoformat().encode()),
    decimal.Decimal: (EXT_DECIMAL, lambda v: str(v).encode()),
    int: (EXT_BIGINT, lambda v: str(v).encode()),  # only those beyond 64 bits reach here
}
_CONTAINER_EXTS: dict[type, int] = {tuple: EXT_TUPLE, set: EXT_SET, frozenset: EXT_FROZENSET}
_CONTAINER_TYPES: dict[int, type] = {EXT_TUPLE: tuple, EXT_SET: set, EXT_FROZENSET: frozenset}
_SIMPLE_DECODERS: dict[int, Callable[[bytes], Any]] = {
    EXT_BIGINT: int,
    EXT_DATETIME: lambda data: datetime.datetime.fromisoformat(data.decode()),
    EXT_DATE: lambda data: datetime.date.fromisoformat(data.decode()),
    EXT_DECIMAL: lambda data: decimal.Decimal(data.decode()),
}


class ValueCodec:
    """Encodes and decodes checkpoint documents under one ``PicklePolicy``.

    ``where`` (the stream or file being written or read) goes into every error message.
    """

    def __init__(self, policy: PicklePolicy = PicklePolicy(), unpickle: bool = True):
        self.policy = policy
        #: False (the command line's inspect and verify): pickled values are checked when a
        #: key is configured but never loaded; they decode as ``PickledValue`` placeholders
        self.unpickle = unpickle
        #: pickled values decoded without a key, so with their signatures unchecked
        self.unverified_pickles = 0

    # -- writing --------------------------------------------------------------------------
    def encode(self, value, where: str) -> bytes:
        return msgpack.packb(value, default=lambda v: self._extension(v, where), strict_types=True)

    def _extension(self, value, where: str) -> msgpack.ExtType:
        kind = type(value)
        if kind in _CONTAINER_EXTS:
            return msgpack.ExtType(_CONTAINER_EXTS[kind], self.encode(list(value), where))
        if kind is datetime.datetime and (value.tzinfo is None or type(value.tzinfo) is datetime.timezone):
            return msgpack.ExtType(EXT_DATETIME, value.isoformat().encode())
        if kind in _SIMPLE_EXTS:
            code, to_bytes = _SIMPLE_EXTS[kind]
            return msgpack.ExtType(code, to_bytes(value))
        return self._signed_pickle(value, where)

    def _signed_pickle(self, value, where: str) -> msgpack.ExtType:
        type_name = f"{type(value).__module__}.{type(value).__qualname__}"
        if not self.policy.allowed:
            raise CheckpointValueError(
                f"{where}: a value of type {type_name} cannot be checkpointed as plain data "
                f"(checkpoints hold msgpack types, tuples, sets, datetimes and Decimals). Keep "
                f"state in those types, or opt in to signed pickles with --conf "
                f"{ALLOW_PICKLE}=true --conf {PICKLE_KEY}=<secret>"
            )
        try:
            data = cloudpickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as error:
            raise CheckpointValueError(
                f"{where}: cannot pickle a value of type {type_name}: {error}"
            ) from error
        return msgpack.ExtType(EXT_SIGNED_PICKLE, self.policy.sign(data) + data)

    def encode_records(self, records: list, where: str):
        """A list of records in its compact form: pairs as two columns (see module docs)."""
        if records and set(map(type, records)) == {tuple} and set(map(len, records)) == {2}:
            return [_PAIR_COLUMNS, list(map(itemgetter(0), records)), list(map(itemgetter(1), records))]
        return [_ROWS, records]

    # -- reading --------------------------------------------------------------------------
    def decode(self, data: bytes, where: str):
        """The value ``encode`` was given; never runs code unless a signature verifies."""

        def hook(code: int, payload: bytes):
            if code in _CONTAINER_TYPES:
                return _CONTAINER_TYPES[code](self.decode(payload, where))
            if code in _SIMPLE_DECODERS:
                return _SIMPLE_DECODERS[code](payload)
            if code == EXT_SIGNED_PICKLE:
                return self._verified_unpickle(payload, where)
            raise CheckpointSignatureError(f"{where}: unknown value type code {code}; refusing the file")

        return msgpack.unpackb(data, ext_hook=hook, strict_map_key=False)

    def _verified_unpickle(self, payload: bytes, where: str):
        if not self.unpickle and self.policy.key is None:
            self.unverified_pickles += 1
            return PickledValue(len(payload) - _MAC_SIZE, verified=False)
        if self.policy.key is None:
            raise CheckpointSignatureError(
                f"{where}: holds signed pickled values, but no {PICKLE_KEY} is configured to "
                "verify them; set the key the job wrote them with (and "
                f"{ALLOW_PICKLE}=true), or start fresh with a new checkpoint directory"
            )
        mac, data = payload[:_MAC_SIZE], payload[_MAC_SIZE:]
        if not hmac.compare_digest(mac, self.policy.sign(data)):
            raise CheckpointSignatureError(
                f"{where}: a pickled value's signature does not verify with the configured "
                f"{PICKLE_KEY}: the file was tampered with or written with another key. "
                "Refusing to load it."
            )
        if not self.unpickle:
            return PickledValue(len(data), verified=True)
        if not self.policy.allowed:
            raise CheckpointSignatureError(
                f"{where}: holds pickled values but {ALLOW_PICKLE} is not true; set it to load them"
            )
        return pickle.loads(data)

    @staticmethod
    def decode_records(encoded) -> list:
        layout, *payload = encoded
        if layout == _PAIR_COLUMNS:
            with collector_paused():
                return list(zip(*payload))
        return payload[0]
