"""Storing several received records at once (``storeRecords``): one hand-over into the current
block, cut by the block interval as single stores are, logged as one write-ahead-log entry."""

from __future__ import annotations

import pytest

from ember.checkpoint import ValueCodec
from ember.checkpoint.wal import LoggedBlockBuffer, WriteAheadLog
from ember.plugins import ReceiverStoppedError
from ember.streaming.blocks import BlockBuffer, RateLimiter
from ember.streaming.receiver_service import spread


class HandClock:
    def __init__(self):
        self.now = 10.0

    def __call__(self) -> float:
        return self.now


def test_records_stored_at_once_join_the_current_block_until_the_interval_ends():
    clock = HandClock()
    buffer = BlockBuffer(200, RateLimiter(0), clock=clock)
    buffer.add("a")
    buffer.add_all(["b", "c"])
    clock.now += 0.25
    buffer.add_all(["d", "e"])  # the interval is over: a new block
    buffer.add_all([])
    buffer.add("f")
    assert buffer.take_blocks() == [["a", "b", "c"], ["d", "e", "f"]]


def test_a_stopped_buffer_refuses_records_stored_at_once():
    buffer = BlockBuffer(200, RateLimiter(0))
    buffer.close()
    with pytest.raises(ReceiverStoppedError, match="not stored"):
        buffer.add_all(["late"])


def test_records_stored_at_once_are_one_log_entry_of_the_batch_that_takes_them(tmp_path):
    log = WriteAheadLog(str(tmp_path / "wal"), ValueCodec())
    buffer = LoggedBlockBuffer(BlockBuffer(200, RateLimiter(0)), log)
    buffer.add_all(["a", "b"])
    buffer.add_all([])
    assert buffer.take_blocks(1000) == [["a", "b"]]
    buffer.add_all(["c"])
    log.close()
    batches, unowned, _ = WriteAheadLog(str(tmp_path / "wal"), ValueCodec()).recover(keep_batches=True)
    assert batches == {1000: ["a", "b"]} and unowned == ["c"]
    with open(tmp_path / "wal" / "batch-1000", "rb") as segment:
        data = segment.read()
    assert len(data) == 8 + int.from_bytes(data[:4], "big")  # one entry: header and payload


def test_a_batch_of_fewer_blocks_than_workers_is_spread_over_them_in_order():
    big = list(range(3001))
    assert [len(part) for part in spread([big], 2)] == [1501, 1500]
    assert [r for part in spread([big[:1000], big[1000:]], 3) for r in part] == big
    assert [len(part) for part in spread([big[:1000], big[1000:]], 3)] == [1001, 1001, 999]
    assert spread([big[:1000], big[1000:]], 4) == [big[:1000], big[1000:]]  # too few records
    assert spread([big[:10], big[10:20]], 2) == [big[:10], big[10:20]]  # as many blocks as parts
    assert spread([big[:1500]], 2) == [big[:1500]]  # too few records


def test_a_full_block_is_sealed_at_once_and_can_be_taken_before_the_batch():
    clock = HandClock()
    buffer = BlockBuffer(200, RateLimiter(0), clock=clock, max_block_records=3)
    buffer.add_all(["a", "b"])
    buffer.add("c")
    buffer.add("d")  # the block held 3: sealed, "d" begins the next
    assert buffer.take_sealed() == [["a", "b", "c"]]
    assert buffer.take_sealed() == []
    buffer.add_all(["e", "f"])
    assert buffer.take_blocks() == [["d", "e", "f"]]
