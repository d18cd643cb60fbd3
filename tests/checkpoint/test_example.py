"""examples/recoverable_network_wordcount.py, run as the Spark guide runs it, killed and run again."""

from __future__ import annotations

import os
import subprocess
import sys

from chaos import LineServer, newest_checkpoint, wait_until

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(ROOT, "examples", "recoverable_network_wordcount.py")


def _start(args: list[str], log_path: str) -> subprocess.Popen:
    with open(log_path, "wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "ember", "run", EXAMPLE, *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )


def _lines(path: str) -> list[str]:
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        return handle.read().splitlines()


def test_the_example_recovers_from_its_checkpoint_after_kill_9(tmp_path):
    server = LineServer()
    checkpoints, output = str(tmp_path / "ckpt"), str(tmp_path / "counts.txt")
    args = ["127.0.0.1", str(server.port), checkpoints, output]
    first = second = None
    try:
        first = _start(args, str(tmp_path / "first.log"))
        wait_until(lambda: any("('r" in line for line in _lines(output)), 60, "counts in the output file")
        wait_until(lambda: newest_checkpoint(checkpoints) > 0, 30, "a checkpoint")
        first.kill()
        first.wait(30)
        written = len(_lines(output))
        second = _start(args, str(tmp_path / "second.log"))
        wait_until(lambda: len(_lines(output)) > written + 2, 60, "the recovered job to append counts")
        second.terminate()
        second.wait(30)
        with open(tmp_path / "second.log") as handle:
            log = handle.read()
        assert "Recovering from" in log and "checkpoint-" in log
        assert all(line.startswith("Counts at time ") for line in _lines(output))
    finally:
        server.close()
        for job in (first, second):
            if job is not None and job.poll() is None:
                job.kill()
                job.wait(30)
