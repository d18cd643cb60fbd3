"""A checkpoint's recorded file positions are checked by the file source on recovery: a path
outside the watched directory (a hand-edited checkpoint) is refused and never read."""

from __future__ import annotations

import logging

import pytest

from ember import SparkConf, SparkContext
from ember.checkpoint import CheckpointDirectory, ValueCodec, open_store
from ember.checkpoint.fingerprint import fingerprint
from ember.plugins import PositionRange
from ember.streaming import StreamingContext
from ember.streaming.clock import ManualClock
from ember.testing import advance_batches


def _setup(directory: str, outputs: list):
    def setup():
        sc = SparkContext("local[1]", "positions", conf=SparkConf())
        ssc = StreamingContext(sc, 1, clock=ManualClock(3000))
        ssc.textFileStream(directory).foreachRDD(lambda rdd: outputs.append(rdd.collect()))
        return ssc

    return setup


def _checkpoint(location: str, graph: list, time_ms: int, path: str, size: int) -> None:
    directory = CheckpointDirectory(open_store(location), ValueCodec())
    if directory.checkpoint_times():
        directory.begin_run(directory.load_latest())
    directory.write_checkpoint(
        {
            "format": 2,
            "time": time_ms,
            "batch_ms": 1000,
            "zero_ms": 0,
            "last_completed_ms": time_ms - 1000,
            "pending": [time_ms],
            "graph": graph,
            "streams": {0: {"positions": {time_ms: [[path, 0, size, None]]}}},
        }
    )


def test_a_recorded_position_outside_the_directory_is_refused_and_never_read(tmp_path, caplog):
    watched = tmp_path / "in"
    watched.mkdir()
    (watched / "ours.txt").write_text("one\ntwo\n")
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0\n")
    outputs: list = []
    probe = _setup(str(watched), outputs)()
    graph = fingerprint(probe.graph)
    probe.sparkContext.stop()
    location = str(tmp_path / "ckpt")
    _checkpoint(location, graph, 2000, str(watched / "ours.txt"), 8)
    _checkpoint(location, graph, 3000, str(secret), 11)  # crafted: a file outside the directory

    with caplog.at_level(logging.WARNING, logger="ember.checkpoint"):
        ssc = StreamingContext.getOrCreate(location, _setup(str(watched), outputs))
    assert f"refuses its recorded positions: {str(secret)!r} is not a file of {watched}" in caplog.text
    ssc.start()
    try:
        advance_batches(ssc, 1)
    finally:
        ssc.stop()
    assert outputs[0] == ["one", "two"]
    assert not any("root:x" in line for batch in outputs for line in batch)


@pytest.mark.parametrize("path", ["/etc/passwd", "{d}/../secret.txt", "{d}/sub/file", "{d}/.hidden", "{d}"])
def test_the_file_source_accepts_only_files_directly_in_its_directory(tmp_path, path):
    probe = _setup(str(tmp_path), [])()
    try:
        source = probe.graph.inputs[0].source
        source.validate_positions([PositionRange(str(tmp_path / "fine.txt"), 0, 5)])
        with pytest.raises(ValueError, match="is not a file of"):
            source.validate_positions([PositionRange(path.format(d=tmp_path), 0, 5)])
        with pytest.raises(ValueError, match="are not a whole file's range"):
            source.validate_positions([PositionRange(str(tmp_path / "fine.txt"), 3, 5)])
    finally:
        probe.sparkContext.stop()
