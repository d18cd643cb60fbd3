"""Running ``jobs/recoverable_totals.py`` in its own interpreter, killing it with SIGKILL,
recovering it, and reading the totals its newest batch wrote: the recovery tests of the Flume,
MQTT and Kinesis connectors (what was counted before the kill is never counted again; Kinesis:
every record exactly once; Flume and MQTT: only what was delivered again may count twice)."""

from __future__ import annotations

import ast
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import NamedTuple

import pytest

from ember.plugins.testing import wait_until

JOB = Path(__file__).parent / "jobs" / "recoverable_totals.py"


class TotalsJob:
    def __init__(self, workdir: Path, kind: str, first: str, second: str):
        self.checkpoint_dir = workdir / "checkpoint"
        self.output_dir = workdir / "out"
        self.output_dir.mkdir(exist_ok=True)
        self.arguments = [str(self.checkpoint_dir), str(self.output_dir), kind, first, second]
        self.log_path = workdir / "job.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> TotalsJob:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(JOB), *self.arguments],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=dict(os.environ, PYTHONUNBUFFERED="1"),
            )
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
        return self.checkpoint_dir.is_dir() and any(
            path.name.startswith("checkpoint-") for path in self.checkpoint_dir.iterdir()
        )

    def batches_written(self) -> int:
        return sum(1 for p in self.output_dir.iterdir() if (p / "_SUCCESS").exists())

    def totals(self) -> dict:
        """The totals of the newest batch whose output is complete (``_SUCCESS``)."""
        done = sorted(
            (int(p.name.split("-")[1]), p)
            for p in self.output_dir.iterdir()
            if p.name.startswith("totals-") and (p / "_SUCCESS").exists()
        )
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


JOB_START_S = 60  # a job's interpreter, pool and first batches, on a machine shared with others


class Sender(threading.Thread):
    """Sends numbered records ``r0``, ``r1``, ... in small batches until stopped; ``send(batch)``
    returns whether the counterpart acknowledged the batch, else it is sent again."""

    def __init__(self, send):
        super().__init__(daemon=True)
        self.send = send
        self.acknowledged: list[str] = []
        #: how many times each record was sent (more than once: its acknowledgement was lost)
        self.sent: Counter = Counter()
        self.stopping = threading.Event()

    def run(self) -> None:
        number = 0
        while not self.stopping.is_set():
            batch = [f"r{number + i}" for i in range(5)]
            self.sent.update(batch)
            if self.send(batch):
                self.acknowledged += batch
                number += len(batch)
            else:
                self.stopping.wait(0.05)  # the same batch again, after a pause
            self.stopping.wait(0.01)

    def stop(self) -> list[str]:
        self.stopping.set()
        self.join(30)
        return list(self.acknowledged)


class Counted(NamedTuple):
    """What a kill-and-recover run sent and what the job counted."""

    acknowledged: list[str]  # the records the counterpart acknowledged
    sent: Counter  # how many times each record was sent
    at_kill: dict  # the totals of the newest batch completed before the SIGKILL
    totals: dict  # the totals once every acknowledged record is in them


def kill_and_recover(job: TotalsJob, sender: Sender) -> dict:
    """Let records flow into a checkpointed job, SIGKILL it, start it again from its checkpoint,
    let records flow again, then stop sending; returns the totals written before the kill."""
    sender.start()
    wait_until(
        lambda: job.check_alive() or job.checkpointed() or job.batches_written() >= 6,
        JOB_START_S,
        "the job to run batches",
    )
    if not job.checkpointed():
        sender.stop()
        pytest.fail(f"the job ran 6 batches without writing a checkpoint:\n{job.log()}")
    # killed once a batch holding records has completed, so the recovery restores counted state
    wait_until(
        lambda: job.check_alive() or (len(sender.acknowledged) >= 40 and job.totals()),
        JOB_START_S,
        "records to flow and be counted",
    )
    job.kill()
    at_kill = job.totals()
    acknowledged_before_kill = len(sender.acknowledged)
    job.start()
    wait_until(
        lambda: job.check_alive() or len(sender.acknowledged) >= acknowledged_before_kill + 40,
        JOB_START_S,
        "records to flow into the recovered job",
    )
    sender.stop()
    return at_kill


def counted_across_a_kill(job: TotalsJob, send, ready=lambda: True) -> Counted:
    """Once ``ready()``, records sent with ``send`` around a kill and recovery of ``job``, and
    what the job counted of them, before the kill and once every acknowledged one is counted."""
    try:
        wait_until(lambda: job.check_alive() or ready(), JOB_START_S, "the job to be ready")
        sender = Sender(send)
        at_kill = kill_and_recover(job, sender)
        wait_until(
            lambda: job.check_alive() or set(sender.acknowledged) <= set(job.totals()),
            JOB_START_S,
            "every acknowledged record in the totals",
        )
        return Counted(list(sender.acknowledged), sender.sent, at_kill, job.totals())
    finally:
        job.stop()
