"""The framing of every checkpoint file: magic, format version, checksum or MAC, compressed body.

A file is a fixed 48-byte header followed by the body::

    magic      8 bytes   b"EMBERCKP"
    version    u16 BE    the format version (``FORMAT_VERSION``)
    flags      u16 BE    bit 0: body is zstandard-compressed; bit 1: authenticated
    reserved   u32       zero
    length     u64 BE    length of the body in bytes
    checksum   24 bytes  BLAKE2b-192 of the header's first 24 bytes and the body, or, when
                         authenticated, HMAC-SHA256 under the job's key truncated to 24 bytes

The body is msgpack (see ``ember.checkpoint.values``).  The version is read before the
checksum, so a file from a newer ember is refused as such rather than called corrupt.

Decompression is bounded: a body must declare its decompressed size in its zstd frame header
(ember's always do); a size over the reader's limit is refused before anything is allocated,
and a body that expands past the size it declared is refused as soon as it does.
"""

from __future__ import annotations

import hashlib
import hmac
import struct

import zstandard

from ember.checkpoint.errors import CheckpointCorruptError, CheckpointSignatureError, CheckpointVersionError

MAGIC = b"EMBERCKP"
#: the format this ember writes and the newest it reads (2: run id, sequence, authentication)
FORMAT_VERSION = 2
_COMPRESSED = 0x1
_AUTHENTICATED = 0x2
_PREFIX = struct.Struct(">8sHHIQ")
_DIGEST_SIZE = 24
HEADER_SIZE = _PREFIX.size + _DIGEST_SIZE
_ZSTD_LEVEL = 3
#: the largest zstd window a checkpoint body may ask for (ember's level 3 uses at most 2 MiB)
_MAX_WINDOW = 1 << 24
_CHUNK = 1 << 20
KEY_SETTING = "spark.ember.checkpoint.key"
_KEY_SETTINGS = f"{KEY_SETTING} (or else spark.ember.checkpoint.pickleKey)"


def _digest(prefix: bytes, body: bytes, key: bytes | None) -> bytes:
    if key is not None:
        mac = hmac.new(key, prefix, hashlib.sha256)
        mac.update(body)
        return mac.digest()[:_DIGEST_SIZE]
    hasher = hashlib.blake2b(prefix, digest_size=_DIGEST_SIZE)
    hasher.update(body)
    return hasher.digest()


def frame(payload: bytes, compress: bool = True, key: bytes | None = None) -> bytes:
    """``payload`` wrapped as a checkpoint file (compressed unless ``compress`` is False),
    authenticated with an HMAC under ``key`` when one is given."""
    body = zstandard.ZstdCompressor(level=_ZSTD_LEVEL, threads=-1).compress(payload) if compress else payload
    flags = (_COMPRESSED if compress else 0) | (_AUTHENTICATED if key is not None else 0)
    prefix = _PREFIX.pack(MAGIC, FORMAT_VERSION, flags, 0, len(body))
    return prefix + _digest(prefix, body, key) + body


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


def is_authenticated(flags: int) -> bool:
    return bool(flags & _AUTHENTICATED)


def unframe(
    data: bytes,
    where: str,
    key: bytes | None = None,
    max_bytes: int | None = None,
    unchecked: list[str] | None = None,
) -> bytes:
    """The payload of a file made by ``frame``; ``where`` names the file in errors.

    With ``key``, only a file authenticated under that key is accepted.  Without it, an
    authenticated file is refused, unless ``unchecked`` is given (the command line's verify
    and inspect): its check is then skipped and said so in ``unchecked``.  The payload may
    not decompress to more than ``max_bytes``.
    """
    _, flags, length = read_header(data, where)
    body = data[HEADER_SIZE:]
    if len(data) < HEADER_SIZE or len(body) != length:
        raise CheckpointCorruptError(
            f"{where}: truncated or padded (body is {max(0, len(body))} bytes, header says {length})"
        )
    _check_digest(data[: _PREFIX.size], body, data[_PREFIX.size : HEADER_SIZE], flags, key, where, unchecked)
    if not flags & _COMPRESSED:
        if max_bytes is not None and len(body) > max_bytes:
            raise CheckpointCorruptError(f"{where}: {len(body)} bytes, over the limit of {max_bytes}")
        return body
    return decompress(body, where, max_bytes)


def _check_digest(
    prefix: bytes,
    body: bytes,
    stored: bytes,
    flags: int,
    key: bytes | None,
    where: str,
    unchecked: list[str] | None,
) -> None:
    if is_authenticated(flags):
        if key is None:
            if unchecked is None:
                raise CheckpointSignatureError(
                    f"{where}: is authenticated with a key (HMAC), but no {_KEY_SETTINGS} is configured; "
                    "set the key the job wrote it with"
                )
            unchecked.append(
                f"{where}: authenticated with a key: its HMAC (and so its integrity) "
                f"was not checked; give --conf {KEY_SETTING}=<key> to check it"
            )
            return
        if not hmac.compare_digest(_digest(prefix, body, key), stored):
            raise CheckpointSignatureError(
                f"{where}: its HMAC does not verify with the configured {_KEY_SETTINGS}: the file was "
                "forged, damaged, or written with another key. Refusing it."
            )
        return
    if key is not None:
        raise CheckpointSignatureError(
            f"{where}: is not authenticated, but {_KEY_SETTINGS} is configured: refusing an "
            "unauthenticated file (made by hand, or written before the job had a key; to recover "
            "from it once, run without the key)"
        )
    if _digest(prefix, body, None) != stored:
        raise CheckpointCorruptError(
            f"{where}: checksum mismatch (the file was damaged after it was written)"
        )


def decompress(body: bytes, where: str, max_bytes: int | None) -> bytes | bytearray:
    """A zstd body, refused before allocating when it declares more than ``max_bytes`` or no
    size at all, and as soon as it expands past what it declared."""
    try:
        declared = zstandard.frame_content_size(body)
    except zstandard.ZstdError as error:
        raise CheckpointCorruptError(f"{where}: body is not a zstd frame: {error}") from None
    if declared < 0:
        raise CheckpointCorruptError(
            f"{where}: body does not declare its decompressed size (every "
            "ember checkpoint does): refusing to decompress it"
        )
    if max_bytes is not None and declared > max_bytes:
        raise CheckpointCorruptError(
            f"{where}: body declares {declared} bytes decompressed, over the "
            f"limit of {max_bytes}: refused without decompressing"
        )
    output = bytearray()
    try:
        reader = zstandard.ZstdDecompressor(max_window_size=_MAX_WINDOW).stream_reader(body)
        while len(output) <= declared:
            chunk = reader.read(min(_CHUNK, declared + 1 - len(output)))
            if not chunk:
                break
            output += chunk
    except zstandard.ZstdError as error:
        raise CheckpointCorruptError(f"{where}: body does not decompress: {error}") from None
    if len(output) != declared:
        raise CheckpointCorruptError(
            f"{where}: body decompresses to {'more' if len(output) > declared else 'fewer'} "
            f"bytes than the {declared} it declares: refused"
        )
    return output  # a bytearray: msgpack reads it as is, without a copy
