"""FileStreamSource's choice of files per batch (Spark's FileInputDStream rules), with file
modification times set explicitly so every rule is checked at an exact batch time."""

from __future__ import annotations

import os

import pytest

from ember import SparkConf
from ember.plugins import PositionRange, SourceContext
from ember_files.filesystem import LocalFileSystem
from ember_files.records import FixedLengthRecords, TextLines
from ember_files.source import FileStreamSource

BATCH_MS = 1000


def make_source(directory, record_format=None, remember="60s", settle="0s") -> FileStreamSource:
    source = FileStreamSource(str(directory), LocalFileSystem(str(directory)), record_format or TextLines())
    conf = (
        SparkConf()
        .set("spark.streaming.fileStream.minRememberDuration", remember)
        .set("spark.ember.fileStream.settleTime", settle)
    )
    source.start(SourceContext(stream_id=0, batch_ms=BATCH_MS, conf=conf))
    return source


def put(path, data: bytes, mtime_ms: int) -> str:
    path.write_bytes(data)
    os.utime(path, ns=(mtime_ms * 1_000_000, mtime_ms * 1_000_000))
    return str(path)


def names(ranges: list[PositionRange]) -> list[str]:
    return [os.path.basename(r.partition) for r in ranges]


def test_new_files_are_read_once_and_hidden_and_preexisting_files_never(tmp_path):
    (tmp_path / "present.txt").write_bytes(b"there when the stream was created\n")
    source = make_source(tmp_path)
    t0 = source.start_ms
    put(tmp_path / "before.txt", b"old\n", t0 - 5000)
    put(tmp_path / "a.txt", b"1\n2\n", t0 + 10)
    put(tmp_path / ".hidden", b"x\n", t0 + 10)
    put(tmp_path / "_COPYING_", b"x\n", t0 + 10)
    first = source.next_ranges(t0 + BATCH_MS, None)
    assert names(first) == ["a.txt"]
    assert first[0].to_data() == [str(tmp_path / "a.txt"), 0, 4, 2]  # bytes [0, 4), 2 records
    assert source.read(first[0]) == ["1", "2"]
    assert source.next_ranges(t0 + 2 * BATCH_MS, None) == []


def test_a_file_that_appears_during_a_batch_goes_to_the_next_batch(tmp_path):
    source = make_source(tmp_path)
    t1 = source.start_ms + BATCH_MS
    put(tmp_path / "late.txt", b"x\n", t1 + 1)  # modified just after batch t1's time
    assert source.next_ranges(t1, None) == []
    assert names(source.next_ranges(t1 + BATCH_MS, None)) == ["late.txt"]


def test_a_file_moved_in_with_an_older_time_is_found_inside_the_remember_window(tmp_path):
    source = make_source(tmp_path, remember="3s")
    t = source.start_ms + 10 * BATCH_MS
    put(tmp_path / "moved.txt", b"m\n", t - 2500)  # inside the 3 s window
    put(tmp_path / "stale.txt", b"s\n", t - 3500)  # older than the window: ignored
    assert names(source.next_ranges(t, None)) == ["moved.txt"]


def test_files_are_forgotten_only_after_the_window_so_none_is_read_twice(tmp_path):
    source = make_source(tmp_path, remember="2s")
    t = source.start_ms + BATCH_MS
    put(tmp_path / "f.txt", b"f\n", t - 10)
    assert names(source.next_ranges(t, None)) == ["f.txt"]
    assert [source.next_ranges(t + k * BATCH_MS, None) for k in range(1, 5)] == [[], [], [], []]


def test_glob_patterns_and_file_urls_select_the_matching_directories(tmp_path):
    for directory in ("logs-1", "logs-2", "other"):
        (tmp_path / directory).mkdir()
    source = FileStreamSource(
        f"file://{tmp_path}/logs-*", LocalFileSystem(f"file://{tmp_path}/logs-*"), TextLines()
    )
    source.start(SourceContext(0, BATCH_MS, SparkConf().set("spark.ember.fileStream.settleTime", "0s")))
    t = source.start_ms + BATCH_MS
    for directory in ("logs-1", "logs-2", "other"):
        put(tmp_path / directory / f"{directory}.txt", b"x\n", t - 10)
    assert sorted(names(source.next_ranges(t, None))) == ["logs-1.txt", "logs-2.txt"]


def test_a_replayed_range_reads_the_bytes_the_batch_saw_even_after_an_append(tmp_path):
    source = make_source(tmp_path)
    t = source.start_ms + BATCH_MS
    path = tmp_path / "grow.txt"
    put(path, b"one\n", t - 10)
    [recorded] = source.next_ranges(t, None)
    with open(path, "ab") as handle:
        handle.write(b"two\n")
    assert source.read(PositionRange.from_data(recorded.to_data())) == ["one"]


def test_restored_batches_are_not_selected_again(tmp_path):
    source = make_source(tmp_path)
    t = source.start_ms + BATCH_MS
    path = put(tmp_path / "done.txt", b"d\n", t - 10)
    source.restore({t: [PositionRange(path, 0, 2)]})
    assert source.next_ranges(t + BATCH_MS, None) == []


def test_empty_files_have_no_records_and_unreadable_files_name_themselves(tmp_path):
    source = make_source(tmp_path)
    t = source.start_ms + BATCH_MS
    put(tmp_path / "empty.txt", b"", t - 20)
    put(tmp_path / "gone.txt", b"g\n", t - 10)
    empty, gone = source.next_ranges(t, None)
    assert source.read(empty) == []
    os.remove(gone.partition)
    with pytest.raises(OSError, match=r"cannot read new file .*gone\.txt"):
        source.read(gone)


def test_binary_records_split_by_length_and_a_bad_size_is_a_clear_error(tmp_path):
    source = make_source(tmp_path, FixedLengthRecords(4))
    t = source.start_ms + BATCH_MS
    put(tmp_path / "ok.bin", b"abcdefgh", t - 20)
    put(tmp_path / "bad.bin", b"abcdefghij", t - 10)
    ok, bad = source.next_ranges(t, None)
    assert source.read(ok) == [b"abcd", b"efgh"]
    with pytest.raises(ValueError, match=r"bad\.bin has 10 bytes, which is not a multiple of recordLength=4"):
        source.read(bad)
    with pytest.raises(ValueError, match="recordLength must be a positive integer"):
        FixedLengthRecords(0)
