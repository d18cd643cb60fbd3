"""Exactly once across a SIGKILL: a direct-stream job under getOrCreate is killed while
records keep arriving, recovered from its checkpoint, and in the end has counted every
record once, with offset ranges that add up to the records read."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

JOB = Path(__file__).parent / "jobs" / "recoverable_kafka_counts.py"
PATIENCE_S = 100  # a job's interpreter, pool and first batches, on a machine shared with others


class KafkaCountsJob:
    def __init__(self, workdir: Path, bootstrap: str, topic: str, client: str):
        self.checkpoint_dir = workdir / "checkpoint"
        self.output_dir = workdir / "out"
        self.output_dir.mkdir()
        self.arguments = [str(self.checkpoint_dir), str(self.output_dir), bootstrap, topic, client]
        self.log_path = workdir / "job.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(JOB), *self.arguments], stdout=log, stderr=subprocess.STDOUT
            )

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def files(self, kind: str) -> dict[int, object]:
        """Batch time -> the data of each complete ``kind`` file (counts or ranges)."""
        return {
            int(p.stem.split("-")[1]): json.loads(p.read_text())
            for p in self.output_dir.glob(f"{kind}-*.json")
        }

    def checkpointed_batches(self) -> int:
        """How many batches the checkpoint directory holds progress for."""
        if not self.checkpoint_dir.is_dir():
            return 0
        return sum(1 for p in self.checkpoint_dir.iterdir() if p.name.startswith("checkpoint-"))

    def latest_counts(self) -> dict[str, int]:
        counts = self.files("counts")
        return counts[max(counts)] if counts else {}

    def wait_for(self, condition, what: str) -> None:
        deadline = time.monotonic() + PATIENCE_S
        while not condition():
            if self.process.poll() is not None:
                pytest.fail(
                    f"the job exited ({self.process.returncode}) waiting for {what}:\n"
                    f"{self.log_path.read_text(errors='replace')[-4000:]}"
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"timed out waiting for {what}:\n" f"{self.log_path.read_text(errors='replace')[-4000:]}"
                )
            time.sleep(0.1)


def test_every_record_counted_once_across_a_sigkill(tmp_path, tansu, client):
    topic = tansu.create_topic(partitions=2)
    values = [f"r{i}" for i in range(300)]
    tansu.produce(topic, values[:100], batched=True)
    job = KafkaCountsJob(tmp_path, tansu.bootstrap, topic, client)
    job.start()
    try:
        job.wait_for(lambda: len(job.latest_counts()) == 100, "the first 100 records")
        tansu.produce(topic, values[100:200], batched=True)
        job.wait_for(lambda: len(job.latest_counts()) > 100, "some of the next records")
        job.wait_for(lambda: job.checkpointed_batches() >= 3, "checkpoints of three batches")
        job.kill()
        tansu.produce(topic, values[200:250])
        job.start()
        tansu.produce(topic, values[250:], batched=True)
        job.wait_for(lambda: len(job.latest_counts()) == 300, "all 300 records")
    finally:
        if job.process.poll() is None:
            job.kill()
    assert job.latest_counts() == {v: 1 for v in values}
    ranges = [r for batch in job.files("ranges").values() for r in batch]
    log = tansu.read_all(topic)
    for partition in (0, 1):
        mine = sorted((start, end) for p, start, end in ranges if p == partition)
        assert mine[0][0] == 0 and all(a[1] == b[0] for a, b in zip(mine, mine[1:]))
        assert mine[-1][1] == sum(1 for p, *_ in log if p == partition)
    assert sum(end - start for _, start, end in ranges) == 300
