"""The receiver write-ahead log on its own: segments per batch, torn tails, replay, trimming."""

from __future__ import annotations

import os
import threading
import time

from ember.checkpoint import ValueCodec
from ember.checkpoint.wal import LoggedBlockBuffer, WriteAheadLog
from ember.streaming.blocks import BlockBuffer, RateLimiter


def _log(tmp_path) -> WriteAheadLog:
    return WriteAheadLog(str(tmp_path / "wal"), ValueCodec())


def _buffer(log) -> LoggedBlockBuffer:
    return LoggedBlockBuffer(BlockBuffer(200, RateLimiter(0)), log)


def test_each_batch_gets_the_segment_of_what_it_took(tmp_path):
    log = _log(tmp_path)
    buffer = _buffer(log)
    buffer.add("a")
    buffer.add_block(["b", ("c", 1)])
    assert buffer.take_blocks(1000) == [["a"], ["b", ("c", 1)]]
    buffer.add("d")
    assert buffer.take_blocks(2000) == [["d"]]
    buffer.add("e")  # stored, no batch took it yet
    log.close()
    batches, unowned, reused = _log(tmp_path).recover(keep_batches=True)
    assert batches == {1000: ["a", "b", ("c", 1)], 2000: ["d"]}
    assert unowned == ["e"] and reused == ["open-1"]


def test_a_fresh_start_treats_every_logged_record_as_unowned(tmp_path):
    log = _log(tmp_path)
    buffer = _buffer(log)
    buffer.add("a")
    buffer.take_blocks(1000)
    buffer.add("b")
    log.close()
    batches, unowned, reused = _log(tmp_path).recover(keep_batches=False)
    assert batches == {} and unowned == ["a", "b"]
    _log(tmp_path).delete(reused)
    assert os.listdir(tmp_path / "wal") == []


def test_a_torn_last_entry_is_ignored(tmp_path):
    log = _log(tmp_path)
    buffer = _buffer(log)
    for record in ["one", "two", "three"]:
        buffer.add(record)
    log.close()
    segment = tmp_path / "wal" / os.listdir(tmp_path / "wal")[0]
    segment.write_bytes(segment.read_bytes()[:-2])
    assert _log(tmp_path).recover(keep_batches=True)[1] == ["one", "two"]


def test_trim_deletes_old_batches_only(tmp_path):
    log = _log(tmp_path)
    buffer = _buffer(log)
    for time_ms in (1000, 2000, 3000):
        buffer.add(time_ms)
        buffer.take_blocks(time_ms)
    log.trim(2000)
    assert sorted(os.listdir(tmp_path / "wal")) == ["batch-3000"]


def test_stores_racing_batch_cuts_land_in_exactly_one_batch(tmp_path):
    log = _log(tmp_path)
    buffer = _buffer(log)
    taken: dict[int, list] = {}

    def store_many():
        for i in range(3000):
            buffer.add(i)

    writer = threading.Thread(target=store_many)
    writer.start()
    time_ms = 0
    while writer.is_alive():
        time_ms += 1
        taken[time_ms] = [r for block in buffer.take_blocks(time_ms) for r in block]
        time.sleep(0)  # let the writer take the lock: a lock is not fair, and cuts could starve it
    writer.join()
    taken[time_ms + 1] = [r for block in buffer.take_blocks(time_ms + 1) for r in block]
    log.close()
    batches, unowned, _ = _log(tmp_path).recover(keep_batches=True)
    assert unowned == []
    assert {t: records for t, records in batches.items()} == {t: r for t, r in taken.items() if r}
    assert sorted(r for records in batches.values() for r in records) == list(range(3000))
