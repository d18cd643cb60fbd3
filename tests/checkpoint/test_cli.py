"""``python -m ember checkpoint inspect|verify``, run as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys

from checkpoint_documents import document

from ember.checkpoint import CheckpointDirectory, ValueCodec, open_store


def _ember(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ember", "checkpoint", *args], capture_output=True, text=True, timeout=60
    )


def _write_job_checkpoints(location: str) -> CheckpointDirectory:
    directory = CheckpointDirectory(open_store(location), ValueCodec(), keep=3)
    graph = [
        {"kind": "direct", "slide_ms": 1000, "window_ms": None, "parents": []},
        {"kind": "updateStateByKey", "slide_ms": 1000, "window_ms": None, "parents": [0]},
    ]
    for time_ms in (1000, 2000):
        name = directory.write_state(1, time_ms, [[("a", 1), ("b", 2)], [("c", 3)]], "state")
        directory.write_checkpoint(
            document(
                time_ms,
                {
                    0: {"positions": {time_ms: [["/in/f1", 0, 10, None]]}},
                    1: {"state": {"file": name, "time": time_ms}},
                },
                graph,
            )
        )
    return directory


def test_inspect_shows_times_streams_state_sizes_and_positions(tmp_path):
    _write_job_checkpoints(str(tmp_path))
    result = _ember("inspect", str(tmp_path))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "checkpoint-2000  format 2  ok" in out and "checkpoint-1000  format 2  ok" in out
    assert "last completed batch: 2000" in out
    assert "#1 updateStateByKey (slide 1000 ms; parents [0])" in out
    assert "3 records in 2 partitions" in out
    assert (
        "positions recorded for 1 batches (2000 to 2000), 1 ranges; batch 2000: [['/in/f1', 0, 10, None]]"
        in out
    )
    report = json.loads(_ember("inspect", "--json", str(tmp_path)).stdout)
    assert report["newest_readable"]["streams"][1]["state"]["records"] == 3


def test_verify_passes_then_reports_damage_and_the_fallback(tmp_path):
    directory = _write_job_checkpoints(str(tmp_path))
    assert _ember("verify", str(tmp_path)).returncode == 0
    directory.store.write("state/1-2000", directory.store.read("state/1-2000")[:-3])
    result = _ember("verify", str(tmp_path))
    assert result.returncode == 1
    assert "DAMAGED" in result.stdout and "state/1-2000" in result.stdout
    assert "fall back to checkpoint-1000" in result.stdout
    inspect = _ember("inspect", str(tmp_path))
    assert "checkpoint-2000  format 2  UNREADABLE" in inspect.stdout
    assert "Newest readable checkpoint: batch 1000" in inspect.stdout


def test_inspect_of_a_missing_directory_says_get_or_create_starts_fresh(tmp_path):
    result = _ember("inspect", str(tmp_path / "nothing"))
    assert "getOrCreate would start the job fresh" in result.stdout
    assert "would fail" not in result.stdout


def test_verify_of_an_empty_location_fails(tmp_path):
    result = _ember("verify", str(tmp_path / "nothing"))
    assert result.returncode == 1 and "no checkpoint found" in result.stderr
    assert not (tmp_path / "nothing").exists()


def test_unknown_scheme_is_a_clear_command_error():
    result = _ember("inspect", "hdfs://nn/ckpt")
    assert result.returncode == 2 and "checkpoint store for 'hdfs://'" in result.stderr
