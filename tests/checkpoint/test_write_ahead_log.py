"""With the receiver write-ahead log on, every record a socket receiver stored before a
SIGKILL is counted after recovery, exactly once."""

from __future__ import annotations

import glob
import os

from chaos import LineServer, newest_checkpoint, read_outputs, wait_until

from ember.checkpoint import ValueCodec
from ember.checkpoint.wal import WriteAheadLog


def _logged(checkpoint_dir: str, open_only: bool = False) -> list:
    """The records in the receiver's log on disk (what store() had returned for)."""
    records = []
    for directory in glob.glob(os.path.join(checkpoint_dir, "receivedData", "*")):
        batches, unowned, _ = WriteAheadLog(directory, ValueCodec()).recover(keep_batches=True)
        records += unowned
        if not open_only:
            records += [r for logged in batches.values() for r in logged]
    return records


def test_records_stored_before_a_sigkill_are_all_counted_after_recovery(tmp_path, start_job):
    server = LineServer()
    checkpoints, outputs = str(tmp_path / "ckpt"), str(tmp_path / "out")
    args = ["127.0.0.1", str(server.port), checkpoints, outputs]
    try:
        job = start_job("socket_wordcount.py", args)
        wait_until(lambda: newest_checkpoint(checkpoints) > 0, 30, "the first checkpoint", job)
        before = newest_checkpoint(checkpoints)
        wait_until(lambda: newest_checkpoint(checkpoints) > before, 30, "a second checkpoint", job)
        wait_until(
            lambda: len(_logged(checkpoints, open_only=True)) >= 5,
            30,
            "records stored but not yet in a batch",
            job,
        )
        job.kill()
        server.sending.clear()
        acknowledged = _logged(checkpoints)
        assert sorted(acknowledged, key=lambda r: int(r[1:])) == [f"r{i}" for i in range(len(acknowledged))]

        job = start_job("socket_wordcount.py", args)
        expected = {record: 1 for record in acknowledged}

        def all_counted():
            totals = read_outputs(outputs, "totals")
            return totals and totals[max(totals)] == expected

        wait_until(all_counted, 60, f"all {len(acknowledged)} acknowledged records counted once", job)
    finally:
        server.close()
