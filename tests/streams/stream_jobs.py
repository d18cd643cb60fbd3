"""Running ``jobs/recoverable_totals.py`` in its own interpreter, killing it with SIGKILL,
and reading the totals its newest batch wrote."""
from __future__ import annotations

import ast
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

JOB = Path(__file__).parent / "jobs" / "recoverable_totals.py"


class TotalsJob:
    def __init__(self, workdir: Path, kind: str, first: str, second: str):
        self.checkpoint_dir = workdir / "checkpoint"
        self.output_dir = workdir / "out"
        self.output_dir.mkdir(exist_ok=True)
        self.arguments = [str(self.checkpoint_dir), str(self.output_dir), kind, first, second]
        self.log_path = workdir / "job.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> "TotalsJob":
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen([sys.executable, str(JOB), *self.arguments], stdout=log,
                                            stderr=subprocess.STDOUT, env=dict(os.environ, PYTHONUNBUFFERED="1"))
        return self

    def kill(self) -> None:
        """SIGKILL: nothing is flushed, no handler runs."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            pytest.fail(f"the job exited ({self.process.returncode}):\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]

    def checkpointed(self) -> bool:
        return self.checkpoint_dir.is_dir() and any(p.name.startswith("checkpoint-") for p in self.checkpoint_dir.iterdir())

    def batches_written(self) -> int:
        return sum(1 for p in self.output_dir.iterdir() if (p / "_SUCCESS").exists())

    def totals(self) -> dict:
        """The totals of the newest batch whose output is complete (``_SUCCESS``)."""
        done = sorted((int(p.name.split("-")[1]), p) for p in self.output_dir.iterdir()
                      if p.name.startswith("totals-") and (p / "_SUCCESS").exists())
        if not done:
            return {}
        totals = {}
        for part in sorted(done[-1][1].glob("part-*")):
            for line in part.read_text().splitlines():
                key, value = ast.literal_eval(line)
                totals[key] = value
        return totals

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.kill()
