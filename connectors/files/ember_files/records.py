"""How a file's bytes become records: text lines, or fixed-length binary records."""

from __future__ import annotations

import re
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
