"""De-aggregating records written by the Kinesis Producer Library (KPL).

The KPL packs many user records into one Kinesis record: the magic bytes ``F3 89 9A C2``, a
protobuf ``AggregatedRecord`` (field 1: partition key table, 2: explicit hash key table,
3: records, each with field 1: partition key index, 2: hash key index, 3: data, 4: tags), and
the MD5 of the protobuf bytes.  The few protobuf rules needed (varints and length-delimited
fields, unknown fields skipped) are decoded here, so the connector needs no protobuf runtime.
A record that has the magic but a wrong MD5 or broken protobuf is passed on whole, as the
KCL does: it may be a user record that happens to start with those bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from itertools import repeat

KPL_MAGIC = b"\xf3\x89\x9a\xc2"
_DIGEST_BYTES = 16
_VARINT, _FIXED64, _LENGTH_DELIMITED, _FIXED32 = 0, 1, 2, 5


class MalformedAggregate(ValueError):
    """Protobuf bytes that are not a valid AggregatedRecord."""


def deaggregate(data: bytes) -> list[bytes]:
    """The user records inside one Kinesis record's data (the data itself when not aggregated)."""
    if not data.startswith(KPL_MAGIC) or len(data) < len(KPL_MAGIC) + _DIGEST_BYTES:
        return [data]
    message = data[len(KPL_MAGIC) : -_DIGEST_BYTES]
    if hashlib.md5(message).digest() != data[-_DIGEST_BYTES:]:
        return [data]
    try:
        return [_record_data(body) for number, body in _fields(message) if number == 3]
    except MalformedAggregate:
        return [data]


def user_records(datas: list[bytes]) -> tuple[list[bytes], list[int] | None]:
    """The user records inside many Kinesis records' data, in order, and how many each Kinesis
    record holds; None for the counts (one each), with no Python call per record, when none
    starts with the KPL's magic (the usual case)."""
    if not any(map(bytes.startswith, datas, repeat(KPL_MAGIC))):
        return datas, None
    split = [deaggregate(data) for data in datas]
    return [user_record for part in split for user_record in part], list(map(len, split))


def _record_data(record: bytes | int) -> bytes:
    if not isinstance(record, bytes):
        raise MalformedAggregate("a record field that is not a message")
    for number, value in _fields(record):
        if number == 3 and isinstance(value, bytes):
            return value
    raise MalformedAggregate("an aggregated record without data (field 3)")


def _fields(message: bytes) -> Iterator[tuple[int, bytes | int]]:
    """(field number, value) of each field: varints as int, length-delimited as bytes."""
    position = 0
    while position < len(message):
        key, position = _varint(message, position)
        number, wire_type = key >> 3, key & 7
        value: int | bytes
        if wire_type == _VARINT:
            value, position = _varint(message, position)
        elif wire_type == _LENGTH_DELIMITED:
            length, position = _varint(message, position)
            value, position = message[position : position + length], position + length
            if len(value) != length:
                raise MalformedAggregate("a length-delimited field runs past the end")
        elif wire_type in (_FIXED64, _FIXED32):
            size = 8 if wire_type == _FIXED64 else 4
            value, position = message[position : position + size], position + size
        else:
            raise MalformedAggregate(f"protobuf wire type {wire_type} is not used by AggregatedRecord")
        yield number, value


def _varint(data: bytes, position: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if position >= len(data) or shift > 63:
            raise MalformedAggregate("a truncated or overlong varint")
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, position
