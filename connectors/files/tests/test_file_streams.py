"""textFileStream and binaryRecordsStream end to end, on a real clock and real directories."""

from __future__ import annotations

import os

import pytest

from ember.plugins import MissingPluginError


def move_in(directory, name: str, data: bytes) -> None:
    """Write a file beside the watched directory and rename it in, as Spark's guide asks."""
    staging = directory.parent / f"staging-{name}"
    staging.write_bytes(data)
    os.rename(staging, directory / name)


def test_directory_word_count_reads_each_new_file_once(ssc, collect, tmp_path, capsys):
    watched = tmp_path / "in"
    watched.mkdir()
    (watched / "existing.txt").write_text("ignored because it was there before\n")
    lines = ssc.textFileStream(str(watched))
    counts = lines.flatMap(lambda line: line.split()).map(lambda w: (w, 1)).reduceByKey(lambda a, b: a + b)
    counts.pprint()
    seen = collect(counts)
    ssc.start()
    move_in(watched, "one.txt", b"spark streaming\nember streaming\n")
    seen.wait_for(lambda c: sum(n for _, n in c.records) == 4)
    move_in(watched, "two.txt", b"ember\n")
    (watched / ".two.txt.tmp").write_text("hidden temp file\n")
    seen.wait_for(lambda c: sum(n for _, n in c.records) == 5)
    batches_after = len(seen.batches)
    seen.wait_for(lambda c: len(c.batches) >= batches_after + 3, what="three more batches")
    ssc.stop(stopSparkContext=False)
    totals: dict[str, int] = {}
    for word, count in seen.records:
        totals[word] = totals.get(word, 0) + count
    assert totals == {"spark": 1, "streaming": 2, "ember": 2}
    assert "('streaming', 2)" in capsys.readouterr().out


def test_binary_records_stream_end_to_end(ssc, collect, tmp_path):
    watched = tmp_path / "bin"
    watched.mkdir()
    seen = collect(ssc.binaryRecordsStream(str(watched), 3))
    ssc.start()
    move_in(watched, "r.bin", b"abcdefghi")
    seen.wait_for(lambda c: c.records == [b"abc", b"def", b"ghi"])


def test_a_bad_record_length_fails_its_batch_with_the_file_named(ssc, tmp_path):
    watched = tmp_path / "bin"
    watched.mkdir()
    ssc.binaryRecordsStream(str(watched), 4).count().pprint()
    ssc.start()
    move_in(watched, "odd.bin", b"12345")
    with pytest.raises(ValueError, match=r"odd\.bin has 5 bytes, which is not a multiple of recordLength=4"):
        ssc.awaitTerminationOrTimeout(15)


def test_an_unknown_scheme_lists_the_schemes_available_and_how_to_add_one(ssc):
    with pytest.raises(MissingPluginError) as raised:
        ssc.textFileStream("hdfs://namenode:8020/user/logs")
    message = str(raised.value)
    assert "'hdfs://'" in message and "file://, s3://" in message and "ember_filesystems" in message
    assert isinstance(raised.value, ImportError)
