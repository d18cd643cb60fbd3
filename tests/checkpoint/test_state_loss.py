"""No state is lost silently: a graceful stop checkpoints every stateful stream's state, a
SIGKILL between state checkpoints is made good from the write-ahead log, and without the log
the restarted job names the batches it could not replay, once, on stderr and to listeners."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from chaos import LineServer, read_outputs, wait_until

from ember.checkpoint import CheckpointDirectory, ValueCodec, open_store

RECORDS = {f"r{i}": 1 for i in range(40)}


def _progress(checkpoint_dir: str) -> tuple[int, int] | None:
    """(time of the newest checkpointed state, last completed batch) of the newest checkpoint."""
    try:
        document = CheckpointDirectory(open_store(checkpoint_dir), ValueCodec()).load_latest().document
    except Exception:  # noqa: BLE001 - none written yet
        return None
    states = [recorded["state"]["time"] for recorded in document["streams"].values() if recorded.get("state")]
    return (max(states), document["last_completed_ms"]) if states else None


def _latest_totals(output_dir: str) -> dict:
    totals = read_outputs(output_dir, "totals") if os.path.isdir(output_dir) else {}
    return totals[max(totals)] if totals else {}


def _run_until_counted(start_job, server: LineServer, args: list[str]):
    """Start the job, let the server send its 40 lines only after the first state checkpoint,
    and wait until every line is in the totals while the newest state is older than the last
    completed batch (so the records are between state checkpoints)."""
    server.sending.clear()
    job = start_job("stateful_socket.py", args)
    wait_until(lambda: _progress(args[2]), 60, "the first state checkpoint", job)
    server.sending.set()
    wait_until(lambda: _latest_totals(args[3]) == RECORDS, 60, "all 40 lines counted", job)
    wait_until(lambda: (p := _progress(args[2])) and p[0] < p[1], 60, "a checkpoint after the state's", job)
    return job


def _args(tmp_path, server: LineServer, wal: str) -> list[str]:
    return ["127.0.0.1", str(server.port), str(tmp_path / "ckpt"), str(tmp_path / "out"), wal]


def _totals_after(output_dir: str, time_ms: int) -> dict | None:
    later = {t: records for t, records in read_outputs(output_dir, "totals").items() if t > time_ms}
    return later[min(later)] if later else None


@pytest.mark.parametrize("wal, ending", [("nowal", "graceful stop"), ("wal", "sigkill")])
def test_a_graceful_stop_or_a_sigkill_with_the_log_keeps_the_state_exactly(tmp_path, start_job, wal, ending):
    server = LineServer(limit=40)
    args = _args(tmp_path, server, wal)
    try:
        job = _run_until_counted(start_job, server, args)
        if ending == "graceful stop":
            job.stop()
            state_ms, last_ms = _progress(args[2])
            assert state_ms == last_ms  # the final checkpoint holds the state of the last batch
        else:
            job.kill()
            _, last_ms = _progress(args[2])
        job = start_job("stateful_socket.py", args)
        restarted = wait_until(lambda: _totals_after(args[3], last_ms), 60, "a batch after the restart", job)
        assert restarted == RECORDS
        assert "DATA LOST" not in job.log() and "Data lost" not in job.log()
    finally:
        server.close()


def test_a_sigkill_without_the_write_ahead_log_names_the_batches_lost_once(tmp_path, start_job):
    server = LineServer(limit=40)
    args = _args(tmp_path, server, "nowal")
    try:
        job = _run_until_counted(start_job, server, args)
        job.kill()
        state_ms, last_ms = _progress(args[2])
        lost = list(range(state_ms + 500, last_ms + 1, 500))
        inspect = subprocess.run(
            [sys.executable, "-m", "ember", "checkpoint", "inspect", args[2]],
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
        assert f"state at {state_ms}:" in inspect
        assert f"WARNING: the state is {len(lost)} batches older than the last completed batch" in inspect
        job = start_job("stateful_socket.py", args)
        wait_until(lambda: _totals_after(args[3], last_ms) is not None, 60, "a batch after the restart", job)
        log = job.log()
        assert f"DATA LOST stream=0 times={lost} setting=spark.streaming.receiver.writeAheadLog.enable" in log
        warnings = [line for line in log.splitlines() if "Data lost on recovery" in line]
        assert len(warnings) == 1
        assert "receiver stream #0" in warnings[0]
        assert "spark.streaming.receiver.writeAheadLog.enable=true" in warnings[0]
        shown = ", ".join(map(str, lost)) if len(lost) <= 6 else f"from {lost[0]} to {lost[-1]}"
        assert f"{len(lost)} batches" in warnings[0] and shown in warnings[0]
    finally:
        server.close()
