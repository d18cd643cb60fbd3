"""The msgpack codec every record crossing a process boundary goes through.

msgpack alone loses Python types (tuples become lists, sets and big ints are unsupported), so
the packer runs with ``strict_types`` and every type msgpack cannot represent exactly becomes
an extension type: tuples, sets, frozensets, ints beyond 64 bits, datetimes, dates, Decimals
and, as a last resort, any picklable object (cloudpickle, so classes defined in a job's
``__main__`` travel too).  Subclasses of str, int, dict, ... go to the pickle fallback as well,
so they come back as their own class.

A block (a list of records) whose records are all tuples of one length, the (key, value)
pairs of every shuffle, is stored column by column: two flat lists pack and unpack several
times faster than one extension object per pair.
"""

from __future__ import annotations

import datetime
import decimal
import pickle
from collections.abc import Callable, Iterable
from operator import itemgetter
from typing import Any

import cloudpickle
import msgpack

from ember.serde.collector import collector_paused

EXT_TUPLE, EXT_SET, EXT_FROZENSET, EXT_BIGINT, EXT_DATETIME, EXT_DATE, EXT_DECIMAL, EXT_PICKLE = range(1, 9)

# Layouts: the first element of an encoded block or value says which one follows.
_ROWS, _COLUMNS, _SINGLE = 0, 1, 2


class SerializationError(TypeError):
    """A value that neither msgpack nor pickle can encode; names its type and the operation."""


class _Unserializable(Exception):
    def __init__(self, value, reason: BaseException):
        super().__init__(value, reason)
        self.value, self.reason = value, reason


def _pack_nested(value) -> bytes:
    # A fresh packer: ``default`` runs inside the outer packer's call, which is not reentrant.
    return msgpack.packb(value, default=_default, strict_types=True)


def _default(value):
    """Encode what msgpack's strict mode refuses; called once per such object."""
    kind = type(value)
    if kind is tuple:
        return msgpack.ExtType(EXT_TUPLE, _pack_nested(list(value)))
    if kind is int:  # beyond msgpack's 64-bit range
        return msgpack.ExtType(EXT_BIGINT, str(value).encode())
    if kind is set:
        return msgpack.ExtType(EXT_SET, _pack_nested(list(value)))
    if kind is frozenset:
        return msgpack.ExtType(EXT_FROZENSET, _pack_nested(list(value)))
    if kind is datetime.datetime and (value.tzinfo is None or type(value.tzinfo) is datetime.timezone):
        return msgpack.ExtType(EXT_DATETIME, value.isoformat().encode())
    if kind is datetime.date:
        return msgpack.ExtType(EXT_DATE, value.isoformat().encode())
    if kind is decimal.Decimal:
        return msgpack.ExtType(EXT_DECIMAL, str(value).encode())
    try:
        return msgpack.ExtType(EXT_PICKLE, cloudpickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception as error:
        raise _Unserializable(value, error) from error


def _unpack_nested(data: bytes):
    return msgpack.unpackb(data, ext_hook=_ext_hook, strict_map_key=False)


_DECODERS: dict[int, Callable[[bytes], Any]] = {
    EXT_TUPLE: lambda data: tuple(_unpack_nested(data)),
    EXT_BIGINT: lambda data: int(data),
    EXT_SET: lambda data: set(_unpack_nested(data)),
    EXT_FROZENSET: lambda data: frozenset(_unpack_nested(data)),
    EXT_DATETIME: lambda data: datetime.datetime.fromisoformat(data.decode()),
    EXT_DATE: lambda data: datetime.date.fromisoformat(data.decode()),
    EXT_DECIMAL: lambda data: decimal.Decimal(data.decode()),
    EXT_PICKLE: pickle.loads,
}


def _ext_hook(code: int, data: bytes):
    return _DECODERS[code](data)


def encode(value, operation: str) -> bytes:
    """``value`` as bytes; ``operation`` names what was being done, for the error message."""
    try:
        return msgpack.packb(value, default=_default, strict_types=True)
    except _Unserializable as failure:
        raise SerializationError(
            f"cannot serialize a value of type {type(failure.value).__module__}."
            f"{type(failure.value).__qualname__} while {operation}: {failure.reason}"
        ) from None


def decode(data):
    """The value ``encode`` was given (``data``: bytes or any buffer, e.g. a shared-memory view)."""
    with collector_paused():
        return msgpack.unpackb(data, ext_hook=_ext_hook, strict_map_key=False)


class PairColumns:
    """A block of (key, value) pairs held as a list of keys and a list of values, as a
    shuffle's map side sorts them into its buckets: ``encode_block`` stores the two lists as
    they are, without looking at each pair again.  Decoded, the block is a list of pairs."""

    __slots__ = ("keys", "values")

    def __init__(self, keys: list, values: list):
        self.keys, self.values = keys, values

    def __len__(self) -> int:
        return len(self.keys)

    def __iter__(self):
        return zip(self.keys, self.values)


def encode_block(records: list | PairColumns, operation: str) -> bytes:
    """A list of records; tuples of a common length are stored as columns (see module doc)."""
    if isinstance(records, PairColumns):
        return encode([_COLUMNS, [records.keys, records.values]], operation)
    width = _common_tuple_width(records)
    if width:
        columns = [list(map(itemgetter(i), records)) for i in range(width)]
        return encode([_COLUMNS, columns], operation)
    return encode([_ROWS, records], operation)


def encode_value(value, operation: str) -> bytes:
    """Any value (a task's result); a list is laid out as a block, pairs as columns."""
    if type(value) is list:
        return encode_block(value, operation)
    return encode([_SINGLE, value], operation)


def decode_block(data):
    """What ``encode_block`` or ``encode_value`` encoded."""
    layout, payload = decode(data)
    if layout == _COLUMNS:
        with collector_paused():
            return list(zip(*payload))
    return payload


def decode_pairs(data) -> PairColumns | list:
    """The records of a block ``encode_block`` encoded, to be iterated once: pairs stored as
    columns come back as ``PairColumns``, which makes no tuple per pair to keep."""
    layout, payload = decode(data)
    if layout == _COLUMNS and len(payload) == 2:
        return PairColumns(*payload)
    return decode_block(data)


def pair_columns(pairs: Iterable) -> PairColumns:
    """(key, value) pairs as the two lists ``encode_block`` stores as they are."""
    records = list(pairs)
    return PairColumns(list(map(itemgetter(0), records)), list(map(itemgetter(1), records)))


def _common_tuple_width(records: list) -> int:
    """The length shared by all records when they are all exact tuples, else 0."""
    if not records or set(map(type, records)) != {tuple}:
        return 0
    widths = set(map(len, records))
    return widths.pop() if len(widths) == 1 else 0
