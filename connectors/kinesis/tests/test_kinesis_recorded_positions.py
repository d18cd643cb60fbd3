"""The Kinesis source accepts recorded ranges that are shard ids with sequence numbers in
order (checked on recovery, before anything is read)."""

from __future__ import annotations

import pytest

from ember.plugins import PositionRange
from ember_kinesis.client import KinesisAccess
from ember_kinesis.positions import InitialPositionInStream
from ember_kinesis.source import KinesisSource


def _source() -> KinesisSource:
    access = KinesisAccess("clicks", "http://127.0.0.1:9", "us-east-1", None, None, None, None, None)
    return KinesisSource(access, InitialPositionInStream.TRIM_HORIZON, bytes)


def test_shard_ranges_are_accepted():
    _source().validate_positions(
        [
            PositionRange("shardId-000000000001", "4960", "4970", 3),
            PositionRange("shardId-000000000002", "50", "50", 0),
        ]
    )


@pytest.mark.parametrize(
    "position, message",
    [
        (PositionRange("/etc/passwd", "1", "2"), "'/etc/passwd' is not a shard id"),
        (
            PositionRange("shardId-1", "9", "2"),
            r"sequence numbers \['9', '2'\] of shard shardId-1 are not a range",
        ),
        (PositionRange("shardId-1", 1, 2), "are not a range"),
        (PositionRange("shardId-1", "1a", "2"), "are not a range"),
    ],
)
def test_malformed_ranges_are_refused(position, message):
    with pytest.raises(ValueError, match=message):
        _source().validate_positions([position])
