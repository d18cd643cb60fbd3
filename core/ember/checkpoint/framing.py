"""The framing of every checkpoint file: magic, format version, checksum, compressed body.

A file is a fixed 48-byte header followed by the body::

    magic      8 bytes   b"EMBERCKP"
    version    u16 BE    the format version (``FORMAT_VERSION``)
    flags      u16 BE    bit 0: body is zstandard-compressed
    reserved   u32       zero
    length     u64 BE    length of the body in bytes
    checksum   24 bytes  BLAKE2b-192 of the header's first 24 bytes and the body

The body is msgpack (see ``ember.checkpoint.values``).  The version is read before the
checksum, so a file from a newer ember is refused as such rather than called corrupt.
"""

from __future__ import annotations

import hashlib
import struct

import zstandard

from ember.checkpoint.errors import CheckpointCorruptError, CheckpointVersionError

MAGIC = b"EMBERCKP"
#: the format this ember writes and the newest it reads
FORMAT_VERSION = 1
_COMPRESSED = 0x1
_PREFIX = struct.Struct(">8sHHIQ")
_DIGEST_SIZE = 24
HEADER_SIZE = _PREFIX.size + _DIGEST_SIZE
_ZSTD_LEVEL = 3


def _digest(prefix: bytes, body: bytes) -> bytes:
    hasher = hashlib.blake2b(prefix, digest_size=_DIGEST_SIZE)
    hasher.update(body)
    return hasher.digest()


def frame(payload: bytes, compress: bool = True) -> bytes:
    """``payload`` wrapped as a checkpoint file (compressed unless ``compress`` is False)."""
    body = zstandard.ZstdCompressor(level=_ZSTD_LEVEL, threads=-1).compress(payload) if compress else payload
    prefix = _PREFIX.pack(MAGIC, FORMAT_VERSION, _COMPRESSED if compress else 0, 0, len(body))
    return prefix + _digest(prefix, body) + body


def read_header(data: bytes, where: str) -> tuple[int, int, int]:
    """(version, flags, body length) of a file, checking magic and version only."""
    if len(data) < _PREFIX.size:
        raise CheckpointCorruptError(f"{where}: truncated ({len(data)} bytes, shorter than the header)")
    magic, version, flags, _, length = _PREFIX.unpack_from(data)
    if magic != MAGIC:
        raise CheckpointCorruptError(f"{where}: not an ember checkpoint file (magic {magic!r})")
    if version > FORMAT_VERSION:
        raise CheckpointVersionError(
            f"{where}: written in checkpoint format version {version} by a newer ember; this ember "
            f"reads versions up to {FORMAT_VERSION}. Upgrade ember to recover from it, or start "
            "fresh by pointing the job at a new checkpoint directory."
        )
    return version, flags, length


def unframe(data: bytes, where: str) -> bytes:
    """The payload of a file made by ``frame``; ``where`` names the file in errors."""
    _, flags, length = read_header(data, where)
    body = data[HEADER_SIZE:]
    if len(data) < HEADER_SIZE or len(body) != length:
        raise CheckpointCorruptError(
            f"{where}: truncated or padded (body is {max(0, len(body))} bytes, header says {length})"
        )
    prefix = data[: _PREFIX.size]
    if _digest(prefix, body) != data[_PREFIX.size : HEADER_SIZE]:
        raise CheckpointCorruptError(
            f"{where}: checksum mismatch (the file was damaged after it was written)"
        )
    if not flags & _COMPRESSED:
        return body
    try:
        return zstandard.ZstdDecompressor().decompress(body)
    except zstandard.ZstdError as error:
        raise CheckpointCorruptError(f"{where}: body does not decompress: {error}") from None
