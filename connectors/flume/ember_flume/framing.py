"""Netty framing of Avro RPC, as Flume's Avro sink writes it, and its optional deflate layer.

Avro's Netty transport sends each request or response as one frame: a serial number (int32),
the number of buffers (int32), then each buffer as a length (int32) and its bytes, all
big-endian; the call's bytes are the buffers joined.  A reply carries the serial of its request.

With Flume's ``compression-type = deflate`` (``enableDecompression=True`` here) the whole
connection, both ways, is one zlib stream, flushed after every frame.  Bytes arriving from the
network are never trusted: a length or buffer count above the limits, or a stream that is not
zlib, is a ``FrameError`` raised before anything large is allocated.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

_INT = struct.Struct(">i")
_HEADER = struct.Struct(">ii")
#: the most bytes one frame may carry (a Flume batch of 100 events of 1 MiB fits)
DEFAULT_MAX_FRAME_BYTES = 128 * 1024 * 1024
#: Avro's Java writer cuts calls into 8 KiB buffers; this bounds the list a header announces
MAX_BUFFERS_PER_FRAME = 1 << 20
_ZLIB_HEADERS = {b"\x78\x01", b"\x78\x5e", b"\x78\x9c", b"\x78\xda"}


class FrameError(ValueError):
    """Bytes that cannot be Netty-framed Avro RPC; the connection they came on is closed."""


@dataclass(frozen=True)
class Frame:
    serial: int
    payload: bytes


def encode_frame(serial: int, payload: bytes) -> bytes:
    """``payload`` as one frame of a single buffer."""
    return _HEADER.pack(serial, 1) + _INT.pack(len(payload)) + payload


class FrameReader:
    """Cuts received bytes into frames; ``feed`` returns the frames the bytes completed."""

    def __init__(self, max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES):
        self.max_frame_bytes = max_frame_bytes
        self._pending = bytearray()
        self._received = 0

    @property
    def mid_frame(self) -> int:
        """How many bytes of an unfinished frame are held (0 between frames)."""
        return len(self._pending)

    def feed(self, data: bytes) -> list[Frame]:
        if not self._received and data[:2] in _ZLIB_HEADERS:
            raise FrameError(
                "the peer sends deflate-compressed data; set enableDecompression=True "
                "(or compression-type = none on the Flume sink)"
            )
        self._received += len(data)
        self._pending += data
        frames: list[Frame] = []
        while True:
            frame = self._next_frame()
            if frame is None:
                return frames
            frames.append(frame)

    def _next_frame(self) -> Frame | None:
        pending = self._pending
        if len(pending) < _HEADER.size:
            return None
        serial, count = _HEADER.unpack_from(pending)
        if not 0 <= count <= MAX_BUFFERS_PER_FRAME:
            raise FrameError(
                f"frame {serial} announces {count} buffers (at most "
                f"{MAX_BUFFERS_PER_FRAME}); this is not Netty-framed Avro RPC"
            )
        position, total, buffers = _HEADER.size, 0, []
        for _ in range(count):
            if len(pending) < position + _INT.size:
                return None
            (length,) = _INT.unpack_from(pending, position)
            total += length
            if length < 0 or total > self.max_frame_bytes:
                raise FrameError(
                    f"frame {serial} is larger than the limit of {self.max_frame_bytes} "
                    f"bytes (a buffer of {length} bytes); not accepted"
                )
            position += _INT.size
            if len(pending) < position + length:
                return None
            buffers.append(bytes(pending[position : position + length]))
            position += length
        del pending[:position]
        return Frame(serial, b"".join(buffers))


class Inflater:
    """The receiving half of a deflate connection: zlib bytes in, plain bytes out."""

    def __init__(self, max_output: int):
        self._zlib = zlib.decompressobj()
        self._max_output = max_output

    def inflate(self, data: bytes) -> bytes:
        try:
            out = self._zlib.decompress(data, self._max_output)
        except zlib.error as error:
            raise FrameError(
                f"the peer's data is not a deflate (zlib) stream ({error}); does the "
                "Flume sink use compression-type = deflate?"
            ) from None
        if self._zlib.unconsumed_tail:
            raise FrameError(f"one read inflated to more than {self._max_output} bytes; not accepted")
        return out


class Deflater:
    """The sending half of a deflate connection: every frame is flushed to the peer whole."""

    def __init__(self, level: int = 6):
        self._zlib = zlib.compressobj(level)

    def deflate(self, data: bytes) -> bytes:
        return self._zlib.compress(data) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
