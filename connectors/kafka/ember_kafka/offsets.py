"""Where a direct stream starts, and where each batch ends, on the driver.

The end of a batch is the log end of each partition.  A broker's reported high watermark
(ListOffsets) can be too low — Tansu reports the last record batch's base offset + 1 — so the
reported value is only a floor: ember fetches from just below it and takes the offset after
the last record the fetch returns.  A position beyond the log's real end (a topic recreated,
a broker that lost data) and a position below its start (records deleted by retention before
the stream read them) are errors, never silent skips.
"""

from __future__ import annotations

import logging

from ember_kafka.clients.base import OffsetReader, Offsets
from ember_kafka.errors import OffsetOutOfRangeError
from ember_kafka.ranges import TopicAndPartition

#: how long the driver waits for the fetch that finds each partition's real end
PROBE_TIMEOUT_S = 2.0
_log = logging.getLogger("ember.kafka")


def log_ends(reader: OffsetReader, positions: Offsets) -> Offsets:
    """The offset after each partition's last record; ``positions`` are where the stream is
    (the next offset it reads), checked against the log."""
    partitions = list(positions)
    if not partitions:
        return {}
    reported = reader.reported_latest_offsets(partitions)
    earliest = reader.earliest_offsets(partitions)
    for partition, position in positions.items():
        if position < earliest[partition]:
            raise OffsetOutOfRangeError(
                partition.topic,
                partition.partition,
                position,
                earliest[partition],
                reported[partition],
                "the records before the log start were deleted (retention) " "before the stream read them",
            )
    floors = {p: max(reported[p], positions[p]) for p in partitions}
    starts = {p: max(floors[p] - 1, earliest[p]) for p in partitions}
    fetched = reader.last_offsets_after(starts, PROBE_TIMEOUT_S)
    ends: Offsets = {}
    for partition in partitions:
        if partition not in fetched:
            _log.warning(
                "Kafka partition %s did not answer a fetch within %.0f s; its batch "
                "ends at the reported offset %d",
                partition,
                PROBE_TIMEOUT_S,
                floors[partition],
            )
            ends[partition] = floors[partition]
            continue
        if fetched[partition] < positions[partition] and reported[partition] < positions[partition]:
            # both the fetch and the broker's offset listing say the log is shorter (one
            # alone can be stale: a fetch answered before the log grew back)
            raise OffsetOutOfRangeError(
                partition.topic,
                partition.partition,
                positions[partition],
                earliest[partition],
                fetched[partition],
                f"the log ends before the stream's position (the broker "
                f"lists its end at {reported[partition]}, a fetch found {fetched[partition]}): "
                "the topic was recreated or the broker lost records",
            )
        ends[partition] = max(floors[partition], fetched[partition])
    return ends


def starting_offsets(reader: OffsetReader, partitions: list[TopicAndPartition], reset: str) -> Offsets:
    """Where partitions without a known position start: ``auto.offset.reset``'s choice."""
    if not partitions:
        return {}
    earliest = reader.earliest_offsets(partitions)
    if reset == "earliest":
        return earliest
    return log_ends(reader, earliest)


def bounded_ends(positions: Offsets, ends: Offsets, max_records: int | Offsets | None) -> Offsets:
    """``ends``, cut to at most ``max_records`` after each position (a rate limit), or to each
    partition's own maximum (at least 1 for a partition it does not name)."""
    if max_records is None:
        return dict(ends)
    if isinstance(max_records, dict):
        return {p: min(ends[p], positions[p] + max_records.get(p, 1)) for p in ends}
    return {p: min(ends[p], positions[p] + max_records) for p in ends}
