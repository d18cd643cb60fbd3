"""The shards of a stream and how far ember has read each and batches have taken, on the driver.

Resharding closes shards and opens children (a split makes two children of one parent, a
merge one child of two parents).  Records of a key are in the parent before they are in a
child, so a child is read only once every parent it has was read to its end; a parent that
is no longer listed (trimmed away) does not hold its children back.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ShardCursor:
    shard_id: str
    parents: tuple[str, ...]
    #: created after the stream started (so read from its beginning, whatever the initial position)
    new: bool
    #: the last sequence number read (ahead of the batches); None before the first record
    after: str | None = None
    #: the last sequence number a batch took: the shard's position in checkpoints
    taken: str | None = None
    #: the next shard iterator, kept between batches while it is valid
    iterator: str | None = field(default=None, repr=False)
    #: closed, and read to its end
    finished: bool = False
    #: while paused: the monotonic time before which the shard is left alone
    resume_at: float = 0.0
    backoff_s: float = 0.0


class ShardSet:
    """Every shard ember knows, in the order they were listed."""

    def __init__(self):
        self.cursors: dict[str, ShardCursor] = {}
        self._listed_once = False

    def update(self, listed: list[dict[str, Any]]) -> None:
        """Add shards from a ``list_shards`` answer (shards already known keep their cursor)."""
        for shard in listed:
            shard_id = shard["ShardId"]
            if shard_id not in self.cursors:
                parents = tuple(
                    p for p in (shard.get("ParentShardId"), shard.get("AdjacentParentShardId")) if p
                )
                self.cursors[shard_id] = ShardCursor(shard_id, parents, new=self._listed_once)
        self._listed_once = True

    def readable(self) -> list[ShardCursor]:
        """Shards to read now: not finished, not paused, every known parent finished."""
        now = time.monotonic()
        return [
            cursor
            for cursor in self.cursors.values()
            if not cursor.finished
            and cursor.resume_at <= now
            and all(self.cursors[p].finished for p in cursor.parents if p in self.cursors)
        ]

    @staticmethod
    def pause(cursor: ShardCursor) -> None:
        """Leave ``cursor`` alone for a while (throttled, or Kinesis out of reach): 0.2 s, doubling
        up to 5 s while it lasts."""
        cursor.backoff_s = min(max(cursor.backoff_s * 2, 0.2), 5.0)
        cursor.resume_at = time.monotonic() + cursor.backoff_s

    @staticmethod
    def read_well(cursor: ShardCursor) -> None:
        cursor.backoff_s = 0.0

    def restore(self, last_taken: dict[str, str]) -> None:
        """Continue after the sequence numbers recorded in a checkpoint (read again from there,
        to the shard's end if it was read to its end already)."""
        for shard_id, sequence_number in last_taken.items():
            cursor = self.cursors.get(shard_id)
            if cursor is not None:
                cursor.after = cursor.taken = sequence_number
                cursor.iterator, cursor.finished = None, False
