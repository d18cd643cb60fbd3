"""Where reading a shard starts: PySpark's ``InitialPositionInStream`` and the shard iterator
arguments for a shard that ember has or has not read from before."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any


@dataclass(frozen=True)
class AtTimestamp:
    """Start at the first record written at or after ``timestamp`` (an aware datetime, or
    seconds since the epoch)."""

    timestamp: datetime

    def __post_init__(self) -> None:
        stamp = self.timestamp
        if isinstance(stamp, (int, float)) and not isinstance(stamp, bool):
            object.__setattr__(self, "timestamp", datetime.fromtimestamp(stamp, timezone.utc))
        elif not isinstance(stamp, datetime):
            raise TypeError(f"AT_TIMESTAMP needs a datetime or epoch seconds, got {stamp!r}")


class InitialPositionInStream:
    """PySpark's constants: where to start in each shard that has no checkpointed position."""

    LATEST = 0
    TRIM_HORIZON = 1
    AT_TIMESTAMP = 2

    @staticmethod
    def atTimestamp(timestamp) -> AtTimestamp:
        """``AT_TIMESTAMP`` with its time: ``InitialPositionInStream.atTimestamp(datetime(...))``."""
        return AtTimestamp(timestamp)


def checked_position(position: Any) -> int | AtTimestamp:
    if isinstance(position, AtTimestamp) or position in (
        InitialPositionInStream.LATEST,
        InitialPositionInStream.TRIM_HORIZON,
    ):
        return position
    if position == InitialPositionInStream.AT_TIMESTAMP:
        raise ValueError(
            "InitialPositionInStream.AT_TIMESTAMP needs its time: pass "
            "InitialPositionInStream.atTimestamp(<datetime>)"
        )
    raise ValueError(
        "initialPositionInStream must be InitialPositionInStream.LATEST, TRIM_HORIZON or "
        f"atTimestamp(<datetime>), got {position!r}"
    )


def iterator_arguments(initial: int | AtTimestamp, after: str | None, shard_is_new: bool) -> dict[str, Any]:
    """``get_shard_iterator`` arguments: after the last sequence number read when there is one;
    otherwise the initial position, except that shards created after the stream started (the
    children of a reshard) are read from their beginning, as the KCL does."""
    if after is not None:
        return {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "StartingSequenceNumber": after}
    if isinstance(initial, AtTimestamp):
        return {"ShardIteratorType": "AT_TIMESTAMP", "Timestamp": initial.timestamp}
    if initial == InitialPositionInStream.LATEST and not shard_is_new:
        return {"ShardIteratorType": "LATEST"}
    return {"ShardIteratorType": "TRIM_HORIZON"}
