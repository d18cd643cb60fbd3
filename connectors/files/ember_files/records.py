"""How a file's bytes become records: text lines, or fixed-length binary records.

Each format also counts a file's records when the driver selects it (``inspect``), so a
batch's ``numRecords`` is records, and says when a file does not look like what it should be.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_LINE_END = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class TextLines:
    """UTF-8 lines ending at ``\\n``, ``\\r\\n`` or ``\\r`` (Hadoop's text input rules);
    bytes that are not UTF-8 become U+FFFD, as Hadoop's ``Text`` does."""

    def records(self, path: str, data: bytes) -> list[str]:
        text = data.decode("utf-8", errors="replace")
        lines = _LINE_END.split(text)
        if lines and lines[-1] == "":
            lines.pop()  # the text ended with a line ending, not with a partial line
        return lines

    def inspect(self, size: int, read: Callable[[], bytes]) -> tuple[int, str | None]:
        """How many lines ``records`` makes of the file, and why it does not look like text."""
        data = read()
        lines = data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")
        if data and not data.endswith((b"\n", b"\r")):
            lines += 1  # a last line without a line ending
        return lines, _not_text(data)


def _not_text(data: bytes) -> str | None:
    nul = data.find(b"\0")
    if nul >= 0:
        return (
            f"textFileStream: this file looks binary, not text (a NUL byte at offset {nul}); "
            "its lines are read as they are"
        )
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        return (
            f"textFileStream: this file is not UTF-8 text (invalid byte at offset {error.start}); "
            "its lines are read with U+FFFD for the bytes that do not decode"
        )
    return None


@dataclass(frozen=True)
class FixedLengthRecords:
    """Records of exactly ``record_length`` bytes each (``binaryRecordsStream``)."""

    record_length: int

    def __post_init__(self) -> None:
        if (
            isinstance(self.record_length, bool)
            or not isinstance(self.record_length, int)
            or self.record_length <= 0
        ):
            raise ValueError(
                f"binaryRecordsStream: recordLength must be a positive integer, "
                f"got {self.record_length!r}"
            )

    def records(self, path: str, data: bytes) -> list[bytes]:
        size, length = len(data), self.record_length
        if size % length:
            raise ValueError(
                f"binaryRecordsStream: {path} has {size} bytes, which is not a multiple "
                f"of recordLength={length} ({size // length} whole records and "
                f"{size % length} bytes left over)"
            )
        return [data[start : start + length] for start in range(0, size, length)]

    def inspect(self, size: int, read: Callable[[], bytes]) -> tuple[int, str | None]:
        """Whole records of a file of ``size`` bytes (a bad size fails the batch's task)."""
        return size // self.record_length, None
