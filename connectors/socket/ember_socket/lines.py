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
    """Feed bytes in, get complete lines out; ``finish()`` returns the partial last line.

    Each read is cut once: the bytes up to its last line ending are decoded in one call and
    split in one call; only a region that is not valid UTF-8 is cut line by line, to report
    where its bad bytes are.
    """

    def __init__(self, on_invalid: Callable[[InvalidText], None]):
        self._buffer = bytearray()
        self._scanned = 0  # bytes of the buffer known to hold no line ending
        self._consumed = 0  # stream offset of the buffer's first byte
        self._lines_done = 0
        self._on_invalid = on_invalid

    def feed(self, data: bytes) -> list[str]:
        """The lines completed by ``data`` (a trailing ``\\r`` waits for a possible ``\\n``)."""
        buffer = self._buffer
        buffer += data
        end = _complete_end(buffer, self._scanned)
        if end == 0:
            self._scanned = max(0, len(buffer) - 1) if buffer.endswith(b"\r") else len(buffer)
            return []
        region = bytes(buffer[:end])
        del buffer[:end]
        self._scanned = max(0, len(buffer) - 1) if buffer.endswith(b"\r") else len(buffer)
        try:
            lines = _split_valid(region)
        except UnicodeDecodeError:
            lines = self._split_reporting(region)
        else:
            self._lines_done += len(lines)
        self._consumed += end
        return lines

    def finish(self) -> list[str]:
        """At the end of the stream: the last line when it had no line ending."""
        remainder = bytes(self._buffer).rstrip(b"\r")
        self._buffer.clear()
        self._scanned = 0
        return [self._decode(remainder, 0)] if remainder else []

    def _split_reporting(self, region: bytes) -> list[str]:
        """The lines of ``region`` (which ends with a line ending), one decode each, so that
        invalid bytes are reported at their offset in the stream and in their line."""
        lines = []
        start = 0
        while start < len(region):
            end = _next_line_end(region, start)
            lines.append(self._decode(region[start:end], start))
            start = end + (2 if region[end : end + 2] == b"\r\n" else 1)
        return lines

    def _decode(self, raw: bytes, offset_in_buffer: int) -> str:
        self._lines_done += 1
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as error:
            self._on_invalid(
                InvalidText(self._consumed + offset_in_buffer + error.start, self._lines_done, error.reason)
            )
            return raw.decode("utf-8", errors="replace")


def _complete_end(buffer: bytearray, scanned: int) -> int:
    """How many bytes of ``buffer`` form complete lines: up to its last line ending, except a
    ``\\r`` that ends the buffer (it may be the first half of ``\\r\\n``).  Bytes before
    ``scanned`` are known to hold no line ending."""
    end = max(buffer.rfind(b"\n", scanned), buffer.rfind(b"\r", scanned))
    if end >= 0 and end + 1 == len(buffer) and buffer[end] == 0x0D:
        end = max(buffer.rfind(b"\n", scanned, end), buffer.rfind(b"\r", scanned, end))
    return end + 1


def _split_valid(region: bytes) -> list[str]:
    """The lines of ``region``, which ends with a line ending; UnicodeDecodeError if any byte
    is not UTF-8 (no multi-byte character contains a \\r or \\n byte, so cutting after the
    decode cuts at the same places)."""
    text = region.decode("utf-8")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text[:-1].split("\n")


def _next_line_end(buffer: bytes, position: int) -> int:
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
