"""Storing several received records at once (``storeRecords``): one hand-over into the current
block, cut by the block interval as single stores are, logged as one write-ahead-log entry."""

from __future__ import annotations

import pytest

from ember.checkpoint import ValueCodec
from ember.checkpoint.wal import LoggedBlockBuffer, WriteAheadLog
from ember.plugins import ReceiverStoppedError
from ember.streaming.blocks import BlockBuffer, RateLimiter, record_bytes, records_bytes
from ember.streaming.receiver_service import cut_evenly, group_evenly, partition_count


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


def test_a_batch_gets_a_partition_per_block_interval_and_one_per_worker_when_big_enough():
    assert partition_count(intervals=1, records=3001, workers=2) == 2
    assert partition_count(intervals=3, records=4000, workers=2) == 4  # a multiple of the workers
    assert partition_count(intervals=3, records=3999, workers=2) == 3  # too few records to round up
    assert partition_count(intervals=1, records=1999, workers=2) == 1
    assert partition_count(intervals=5, records=3, workers=1) == 3  # never more than the records
    assert partition_count(intervals=0, records=10, workers=2) == 1  # a log's sealed segment


def test_records_kept_in_memory_are_cut_into_partitions_of_equal_counts_in_order():
    big = list(range(3001))
    assert [len(part) for part in cut_evenly([big], 2)] == [1500, 1501]
    assert [r for part in cut_evenly([big[:1000], big[1000:]], 3) for r in part] == big
    assert [len(part) for part in cut_evenly([big[:1000], big[1000:]], 3)] == [1000, 1000, 1001]
    assert cut_evenly([], 2) == []


def test_stored_pieces_are_grouped_into_partitions_of_about_equal_counts_in_order():
    pieces = [(f"p{i}", 50_000) for i in range(15)] + [("tail", 20_000)]
    groups = group_evenly(pieces, 2)
    assert [ids for ids, _ in groups] == [
        tuple(f"p{i}" for i in range(8)),
        tuple(f"p{i}" for i in range(8, 15)) + ("tail",),
    ]
    assert [count for _, count in groups] == [400_000, 370_000]
    assert group_evenly([("a", 10), ("b", 10)], 4) == [(("a",), 10), (("b",), 10)]  # none empty
    assert group_evenly([], 2) == []


def test_the_pieces_of_one_block_interval_count_as_one_block():
    clock = HandClock()
    buffer = BlockBuffer(200, RateLimiter(0), clock=clock, max_block_records=2)
    buffer.add_all(["a", "b"])
    buffer.add_all(["c", "d", "e"])  # a second piece of the same interval
    clock.now += 0.25
    buffer.add("f")  # a new interval
    assert buffer.take_blocks() == [["a", "b"], ["c", "d", "e"], ["f"]]
    assert buffer.intervals_taken == 2
    buffer.add_block(["g"])  # a block stored as such is a block of its own
    buffer.add("h")
    assert buffer.take_blocks() == [["g"], ["h"]]
    assert buffer.intervals_taken == 2


def test_a_block_stored_ahead_of_its_batch_counts_as_the_bytes_the_store_holds():
    buffer = BlockBuffer(200, RateLimiter(0), max_block_records=20)
    buffer.add_all(["x" * 100] * 20)
    buffer.add("y")  # seals the first piece
    counted = buffer.buffered_bytes
    [(piece, piece_bytes)] = buffer.take_sealed()
    assert piece == ["x" * 100] * 20 and 0 < piece_bytes < counted
    buffer.stored(piece_bytes, 2_100)  # encoded: 105 bytes each
    assert buffer.buffered_bytes == counted - piece_bytes + 2_100
    buffer.take_blocks(1000)
    buffer.release(1000)
    assert buffer.buffered_bytes == 0


@pytest.mark.parametrize(
    "records",
    [
        ["one line", "", "x" * 5000],  # ASCII text: one join
        ["caf\u00e9", "plain", "\U0001f600"],  # wider characters: per record
        [b"raw", b""],
        ["text", b"bytes", ("a", 1), 7],
        [],
    ],
)
def test_the_bytes_counted_for_records_stored_at_once_are_those_of_each_record(records):
    assert records_bytes(records) == sum(map(record_bytes, records))


def test_a_full_block_is_sealed_at_once_and_can_be_taken_before_the_batch():
    clock = HandClock()
    buffer = BlockBuffer(200, RateLimiter(0), clock=clock, max_block_records=3)
    buffer.add_all(["a", "b"])
    buffer.add("c")
    buffer.add("d")  # the block held 3: sealed, "d" begins the next
    assert [block for block, _ in buffer.take_sealed()] == [["a", "b", "c"]]
    assert buffer.take_sealed() == []
    buffer.add_all(["e", "f"])
    assert buffer.take_blocks() == [["d", "e", "f"]]
