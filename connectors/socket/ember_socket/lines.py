"""Cutting a byte stream into text lines, and the reconnect backoff.

Lines end at ``\\n``, ``\\r\\n`` or ``\\r`` (as Java's ``readLine``, which Spark's socket
receiver uses); the bytes after the last line ending are a line of their own when the
stream ends.  Bytes that are not UTF-8 become U+FFFD and are reported with their offset.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class InvalidText:
    """Bytes that were not UTF-8: where they start in the stream and in which line."""

    stream_offset: int
    line_number: int
    reason: str

    def describe(self) -> str:
        return (
            f"invalid UTF-8 at byte {self.stream_offset} of the stream (line "
            f"{self.line_number}): {self.reason}; the bytes were replaced by U+FFFD"
        )


class LineDecoder:
    """Feed bytes in, get complete lines out; ``finish()`` returns the partial last line."""

    def __init__(self, on_invalid: Callable[[InvalidText], None]):
        self._buffer = bytearray()
        self._scanned = 0  # bytes of the buffer known to hold no line ending
        self._consumed = 0  # stream offset of the buffer's first byte
        self._lines_done = 0
        self._on_invalid = on_invalid

    def feed(self, data: bytes) -> list[str]:
        """The lines completed by ``data`` (a trailing ``\\r`` waits for a possible ``\\n``)."""
        self._buffer += data
        lines = []
        start = 0
        buffer = self._buffer
        position = self._scanned
        while True:
            end = _next_line_end(buffer, position)
            if end < 0:
                break
            ending = 2 if buffer[end : end + 2] == b"\r\n" else 1
            if buffer[end] == 0x0D and end + 1 == len(buffer):
                break  # a lone \r at the end may be the first half of \r\n
            lines.append(self._decode(bytes(buffer[start:end]), start))
            start = position = end + ending
        del buffer[:start]
        self._consumed += start
        self._scanned = max(0, len(buffer) - 1) if buffer.endswith(b"\r") else len(buffer)
        return lines

    def finish(self) -> list[str]:
        """At the end of the stream: the last line when it had no line ending."""
        remainder = bytes(self._buffer).rstrip(b"\r")
        self._buffer.clear()
        self._scanned = 0
        return [self._decode(remainder, 0)] if remainder else []

    def _decode(self, raw: bytes, offset_in_buffer: int) -> str:
        self._lines_done += 1
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as error:
            self._on_invalid(
                InvalidText(self._consumed + offset_in_buffer + error.start, self._lines_done, error.reason)
            )
            return raw.decode("utf-8", errors="replace")


def _next_line_end(buffer: bytearray, position: int) -> int:
    """Index of the first ``\\n`` or ``\\r`` at or after ``position``, or -1."""
    newline = buffer.find(b"\n", position)
    carriage = buffer.find(b"\r", position, newline if newline >= 0 else len(buffer))
    return carriage if carriage >= 0 else newline


@dataclass
class Backoff:
    """Reconnect delays: ``initial_ms`` doubling up to ``max_ms``; ``reset`` after success."""

    max_ms: int = 2000
    initial_ms: int = 100
    _next_ms: int = 0

    def next_delay_ms(self) -> int:
        delay = min(self.max_ms, self._next_ms or self.initial_ms)
        self._next_ms = min(self.max_ms, delay * 2)
        return delay

    def reset(self) -> None:
        self._next_ms = 0
