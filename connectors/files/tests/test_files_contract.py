"""How FileStreamSource holds Spark's file contract (files appear whole and never change) and
what it says when a writer breaks it: files are read once, whole, and counted in records.
File times are set explicitly, so each rule is checked at an exact batch time."""

from __future__ import annotations

import os

import pytest

from ember import SparkConf
from ember.plugins import PositionRange, SourceContext
from ember_files.filesystem import LocalFileSystem
from ember_files.records import FixedLengthRecords, TextLines
from ember_files.source import FileStreamSource

BATCH_MS = 1000


def make_source(directory, record_format=None, filesystem=None, **settings) -> FileStreamSource:
    """A started source; ``settings`` by short name: remember, settle."""
    names = {
        "remember": "spark.streaming.fileStream.minRememberDuration",
        "settle": "spark.ember.fileStream.settleTime",
    }
    conf = SparkConf()
    for name, value in settings.items():
        conf.set(names[name], value)
    source = FileStreamSource(
        str(directory), filesystem or LocalFileSystem(str(directory)), record_format or TextLines()
    )
    source.start(SourceContext(stream_id=0, batch_ms=BATCH_MS, conf=conf))
    return source


def put(path, data: bytes, mtime_ms: int, mode: str = "wb") -> str:
    with open(path, mode) as handle:
        handle.write(data)
    os.utime(path, ns=(mtime_ms * 1_000_000, mtime_ms * 1_000_000))
    return str(path)


def names(ranges: list[PositionRange]) -> list[str]:
    return [os.path.basename(r.partition) for r in ranges]


def test_a_file_modified_within_the_settle_time_waits_for_a_later_batch(tmp_path):
    source = make_source(tmp_path)  # the default settle time: 1 s
    t = source.start_ms + 3 * BATCH_MS
    put(tmp_path / "fresh.txt", b"a\nb\n", t - 500)
    assert source.next_ranges(t, None) == []
    [settled] = source.next_ranges(t + BATCH_MS, None)
    assert settled.to_data() == [str(tmp_path / "fresh.txt"), 0, 4, 2]


def test_the_remember_window_outlasts_the_settle_time_so_a_waiting_file_is_not_lost(tmp_path):
    source = make_source(tmp_path, remember="1s", settle="3s")
    assert source.remember_ms == 4 * BATCH_MS
    t = source.start_ms + 5 * BATCH_MS
    put(tmp_path / "slow.txt", b"s\n", t - 10)
    found = [names(source.next_ranges(t + k * BATCH_MS, None)) for k in range(5)]
    assert found == [[], [], [], ["slow.txt"], []]


class AppendingWhileRead(LocalFileSystem):
    """A local directory where a writer appends to every file just as the driver reads it."""

    def read_bytes(self, path: str, length: int) -> bytes:
        data = super().read_bytes(path, length)
        with open(path, "ab") as handle:
            handle.write(b"more\n")
        return data


def test_a_file_that_grows_while_the_driver_reads_it_is_left_for_a_later_batch(tmp_path):
    source = make_source(tmp_path, filesystem=AppendingWhileRead(str(tmp_path)), settle="0s")
    t = source.start_ms + BATCH_MS
    put(tmp_path / "growing.txt", b"first\n", t - 10)
    assert source.next_ranges(t, None) == []


def test_a_file_changed_after_its_batch_is_reported_once_and_never_read_again(tmp_path, file_warnings):
    source = make_source(tmp_path, remember="2s", settle="0s")
    t = source.start_ms + BATCH_MS
    path = put(tmp_path / "appended.txt", b"one\n", t - 10)
    assert names(source.next_ranges(t, None)) == ["appended.txt"]
    later = []
    for k in range(1, 8):  # the writer keeps appending, each time inside the remember window
        put(tmp_path / "appended.txt", b"more\n", t + k * BATCH_MS - 10, mode="ab")
        later += source.next_ranges(t + k * BATCH_MS, None)
    assert later == []
    assert file_warnings() == [
        f"{path} changed after the batch at {t} ms read it: 4 bytes then, 9 now; it is not read "
        f"again (files must be moved into {tmp_path} whole, by rename)"
    ]


def test_a_file_is_forgotten_once_its_time_leaves_the_window(tmp_path, file_warnings):
    source = make_source(tmp_path, remember="2s", settle="0s")
    t = source.start_ms + BATCH_MS
    put(tmp_path / "done.txt", b"d\n", t - 10)
    assert names(source.next_ranges(t, None)) == ["done.txt"]
    assert [source.next_ranges(t + k * BATCH_MS, None) for k in range(1, 5)] == [[], [], [], []]
    assert source._selected == {}
    assert file_warnings() == []


def test_a_change_to_a_file_restored_from_a_checkpoint_is_reported(tmp_path, file_warnings):
    source = make_source(tmp_path, settle="0s")
    t = source.start_ms + BATCH_MS
    path = put(tmp_path / "restored.txt", b"abc\n", t - 10)
    source.restore({t: [PositionRange(path, 0, 2, 1)]})  # the checkpoint saw 2 bytes
    assert source.next_ranges(t + BATCH_MS, None) == []
    assert len(file_warnings()) == 1 and "2 bytes then, 4 now" in file_warnings()[0]


@pytest.mark.parametrize(
    "data, lines",
    [
        (b"a\nb\n", ["a", "b"]),
        (b"a\r\nb\rc", ["a", "b", "c"]),
        (b"\n\n", ["", ""]),
        (b"", []),
        (b"caf\xc3\xa9\n\xff\xfe\n", ["café", "\ufffd\ufffd"]),
    ],
)
def test_a_text_file_counts_the_lines_it_is_read_as(tmp_path, data, lines):
    source = make_source(tmp_path, settle="0s")
    t = source.start_ms + BATCH_MS
    put(tmp_path / "f.txt", data, t - 10)
    [selected] = source.next_ranges(t, None)
    assert source.read(selected) == lines
    assert selected.count() == len(lines)


def test_fixed_length_files_count_records_not_bytes(tmp_path):
    source = make_source(tmp_path, FixedLengthRecords(4), settle="0s")
    t = source.start_ms + BATCH_MS
    put(tmp_path / "r.bin", bytes(range(12)), t - 10)
    [selected] = source.next_ranges(t, None)
    assert selected.count() == 3 and len(source.read(selected)) == 3


def test_binary_looking_text_input_reports_itself_once(tmp_path, file_warnings):
    source = make_source(tmp_path, remember="2s", settle="0s")
    t = source.start_ms + BATCH_MS
    nul = put(tmp_path / "image.txt", b"GIF89a\x00\x01\n", t - 20)
    latin = put(tmp_path / "latin1.txt", b"ok\ncaf\xe9\n", t - 10)
    put(tmp_path / "plain.txt", b"fine\n", t - 5)
    batch = source.next_ranges(t, None)
    assert names(batch) == ["image.txt", "latin1.txt", "plain.txt"]
    for k in range(1, 5):
        source.next_ranges(t + k * BATCH_MS, None)
    assert file_warnings() == [
        f"{nul}: textFileStream: this file looks binary, not text (a NUL byte at offset 6); "
        "its lines are read as they are",
        f"{latin}: textFileStream: this file is not UTF-8 text (invalid byte at offset 6); its "
        "lines are read with U+FFFD for the bytes that do not decode",
    ]
    assert source.read(batch[1]) == ["ok", "caf\ufffd"]


def test_a_file_truncated_after_its_batch_fails_the_read_with_its_name(tmp_path):
    source = make_source(tmp_path, settle="0s")
    t = source.start_ms + BATCH_MS
    put(tmp_path / "cut.txt", b"long line\n", t - 10)
    [selected] = source.next_ranges(t, None)
    put(tmp_path / "cut.txt", b"short\n", t)
    with pytest.raises(OSError, match=r"cut\.txt has 6 bytes, fewer than the 10 its batch selected"):
        source.read(selected)
