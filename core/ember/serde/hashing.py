"""A key hash that is the same in every process and after every restart.

Python salts ``hash(str)`` and ``hash(bytes)`` per process (PYTHONHASHSEED), so partitioning
by it would send a key to different partitions in different workers and make state
unrestorable.  ``portable_hash`` gives, for the types below, exactly what PySpark's
``portable_hash`` gives when its workers run with ``PYTHONHASHSEED=0`` (what PySpark sets), so
keys land in the same partitions as in PySpark and ``collect()`` orders agree:

- ``None`` -> 0; ``bool``, ``int``, ``float``, ``complex``, ``Decimal``, ``Fraction``: Python's
  numeric hash, which is not salted;
- ``str`` and ``bytes``: SipHash-1-3 with a zero key, as CPython computes them with hash
  randomization off (computed by CPython itself when this process runs with
  ``PYTHONHASHSEED=0``, in Python with a per-process memo otherwise);
- ``tuple``: PySpark's combination of its items' portable hashes;
- ``datetime``/``date``/``time``: the hash of their ISO text, ``frozenset``: an order-free
  combination of its items' hashes.
Anything else falls back to ``hash(obj)``: stable when the class defines a stable
``__hash__``, not otherwise (documented in docs/partitioning.md).
"""

from __future__ import annotations

import datetime
import os
import struct
import sys

_MASK64 = (1 << 64) - 1
_HASH_MODULUS = sys.hash_info.modulus
_builtin_is_stable = os.environ.get("PYTHONHASHSEED") == "0"


def _rotl(x: int, b: int) -> int:
    return ((x << b) | (x >> (64 - b))) & _MASK64


# one line per half-round, as the reference implementation lays them out
# fmt: off
def _sip_round(v0: int, v1: int, v2: int, v3: int) -> tuple[int, int, int, int]:
    v0 = (v0 + v1) & _MASK64
    v1 = _rotl(v1, 13)
    v1 ^= v0
    v0 = _rotl(v0, 32)
    v2 = (v2 + v3) & _MASK64
    v3 = _rotl(v3, 16)
    v3 ^= v2
    v0 = (v0 + v3) & _MASK64
    v3 = _rotl(v3, 21)
    v3 ^= v0
    v2 = (v2 + v1) & _MASK64
    v1 = _rotl(v1, 17)
    v1 ^= v2
    v2 = _rotl(v2, 32)
    return v0, v1, v2, v3
# fmt: on


def siphash13_zero_key(data: bytes) -> int:
    """CPython's SipHash-1-3 of ``data`` with a zero key, as a signed Py_hash_t."""
    if not data:
        return 0  # CPython's rule for empty str and bytes
    v0, v1, v2, v3 = 0x736F6D6570736575, 0x646F72616E646F6D, 0x6C7967656E657261, 0x7465646279746573
    length = len(data)
    tail_start = length - (length % 8)
    words = [m for (m,) in struct.iter_unpack("<Q", data[:tail_start])]
    words.append((length & 0xFF) << 56 | int.from_bytes(data[tail_start:], "little"))
    for m in words:  # one compression round per 8-byte word, the length-tagged tail last
        v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3 ^ m)
        v0 ^= m
    v2 ^= 0xFF
    for _ in range(3):  # finalization rounds
        v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
    result = v0 ^ v1 ^ v2 ^ v3
    if result >= 1 << 63:
        result -= 1 << 64
    return -2 if result == -1 else result


def _str_payload(text: str) -> bytes:
    """The bytes CPython hashes for ``text``: its compact 1-, 2- or 4-byte-per-char form."""
    top = max(map(ord, text), default=0)
    if top < 0x100:
        return text.encode("latin-1")
    if top < 0x10000:
        return text.encode("utf-16-le")
    return text.encode("utf-32-le")


_memo: dict = {}
_MEMO_LIMIT = 1 << 20


def _hash_text(value: str | bytes) -> int:
    if _builtin_is_stable:
        return hash(value)
    cached = _memo.get(value)
    if cached is None:
        cached = siphash13_zero_key(value if isinstance(value, bytes) else _str_payload(value))
        if len(_memo) >= _MEMO_LIMIT:
            _memo.clear()
        _memo[value] = cached
    return cached


#: the key types whose ``portable_hash`` is ``hash`` in this process, so a loop over many keys
#: can call ``hash`` itself (str and bytes only where PYTHONHASHSEED=0, as in every worker)
HASHED_AS_BUILTIN = frozenset({int, float, bool} | ({str, bytes} if _builtin_is_stable else set()))


def portable_hash(value) -> int:
    """A hash of ``value`` that is identical in every process; see the module docstring."""
    if value is None:
        return 0
    kind = type(value)
    if kind is str or kind is bytes:
        return _hash_text(value)
    if kind is int or kind is float or kind is bool:
        return hash(value)
    if kind is tuple:
        h = 0x345678
        for item in value:
            h ^= portable_hash(item)
            h *= 1000003
            h &= sys.maxsize
        h ^= len(value)
        return -2 if h == -1 else h
    if isinstance(value, str):  # subclasses hash as their text
        return _hash_text(str(value))
    if isinstance(value, bytes):
        return _hash_text(bytes(value))
    if isinstance(value, (datetime.date, datetime.time)):
        return _hash_text(value.isoformat())
    if isinstance(value, frozenset):
        return hash(frozenset(portable_hash(item) for item in value))
    return hash(value)
