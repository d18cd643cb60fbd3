"""Helpers of the chaos tests: a job run in a subprocess that is killed and restarted, input
files that keep arriving, and readers of the outputs saveAsTextFiles left."""

from __future__ import annotations

import ast
import collections
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import ClassVar

import pytest

from ember.plugins.testing import wait_until as poll_until

JOBS = os.path.join(os.path.dirname(__file__), "jobs")


def wait_until(condition, timeout: float, what: str, job: JobProcess | None = None):
    """Poll ``condition()`` until it returns something true; with a ``job``, fail at once when
    it exits, and name its log on a timeout."""

    def job_alive_and_condition():
        if job is not None and job.process.poll() is not None:
            pytest.fail(f"the job exited ({job.process.returncode}) while waiting for {what}:\n{job.log()}")
        return condition()

    try:
        return poll_until(job_alive_and_condition, timeout, what)
    except AssertionError as timed_out:
        pytest.fail(f"{timed_out}" + (f"\n{job.log()}" if job else ""))


class JobProcess:
    """One run of a job file in its own interpreter, its output in a log file."""

    def __init__(self, script: str, args: list[str], log_path: str, env: dict | None = None):
        self.log_path = log_path
        environment = dict(os.environ, PYTHONHASHSEED="0", PYTHONUNBUFFERED="1", **(env or {}))
        with open(log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, os.path.join(JOBS, script), *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=environment,
            )

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed or cleaned up."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> None:
        """SIGTERM: the context stops gracefully, finishing the batches it generated."""
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"the job did not stop on SIGTERM:\n{self.log()}")

    def log(self) -> str:
        with open(self.log_path, encoding="utf-8", errors="replace") as handle:
            return handle.read()[-6000:]


class FileFeeder:
    """Moves new text files of random words into a directory until stopped, on a thread."""

    VOCABULARY: ClassVar[list[str]] = [f"w{i}" for i in range(40)]

    def __init__(self, directory: str, seed: int, every_s: float = 0.05):
        self.directory = directory
        self.every_s = every_s
        self.random = random.Random(seed)
        self.counts: collections.Counter = collections.Counter()
        self.files = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._feed, daemon=True)

    def __enter__(self) -> FileFeeder:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _feed(self) -> None:
        while not self._stop.wait(self.every_s):
            self.write_file()

    def write_file(self) -> None:
        words = self.random.choices(self.VOCABULARY, k=self.random.randint(1, 12))
        lines = [" ".join(words[i : i + 4]) for i in range(0, len(words), 4)]
        name = f"input-{self.files:05d}.txt"
        hidden = os.path.join(self.directory, f".{name}.writing")
        with open(hidden, "w") as handle:
            handle.write("\n".join(lines) + "\n")
        os.rename(hidden, os.path.join(self.directory, name))  # appears whole, as Spark requires
        self.counts.update(words)
        self.files += 1


def read_outputs(output_dir: str, prefix: str) -> dict[int, dict]:
    """batch time -> {key: value} of every ``prefix-<ms>`` directory saveAsTextFiles committed."""
    outputs = {}
    for name in os.listdir(output_dir):
        if not name.startswith(f"{prefix}-"):
            continue
        directory = os.path.join(output_dir, name)
        records = {}
        for part in sorted(os.listdir(directory)):
            if part.startswith("part-"):
                with open(os.path.join(directory, part)) as handle:
                    for line in handle:
                        key, value = ast.literal_eval(line)
                        assert key not in records, f"{name} holds {key!r} twice"
                        records[key] = value
        outputs[int(name[len(prefix) + 1 :])] = records
    return outputs


def caught_up(checkpoint_dir: str, batch_ms: int, batches: int = 3) -> bool:
    """Whether the job has checkpointed a batch of the last few intervals (it is keeping up)."""
    return newest_checkpoint(checkpoint_dir) >= time.time() * 1000 - batches * batch_ms


def newest_checkpoint(checkpoint_dir: str) -> int:
    """The time of the newest checkpoint file (0 when there is none yet)."""
    if not os.path.isdir(checkpoint_dir):
        return 0
    times = [int(name.split("-")[1]) for name in os.listdir(checkpoint_dir) if name.startswith("checkpoint-")]
    return max(times, default=0)


def writing_checkpoint(checkpoint_dir: str) -> bool:
    """Whether a checkpoint or state file is being written right now (its temporary exists)."""
    for directory in (checkpoint_dir, os.path.join(checkpoint_dir, "state")):
        try:
            if any(name.startswith(".tmp-") for name in os.listdir(directory)):
                return True
        except FileNotFoundError:
            pass
    return False


class LineServer:
    """A TCP server that sends numbered lines ``r0``, ``r1``, ... (up to ``limit``, one every
    ``pause_s``) to whoever connects, while ``sending`` is set."""

    def __init__(self, limit: int = 5000, pause_s: float = 0.003):
        self.limit = limit
        self.pause_s = pause_s
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sending = threading.Event()
        self.sending.set()
        self.sent = 0
        self._closed = False
        self._closing = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self._closed:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._send, args=(connection,), daemon=True).start()

    def _send(self, connection: socket.socket) -> None:
        with connection:
            try:
                while not self._closed and self.sent < self.limit:
                    if self.sending.wait(0.05):
                        connection.sendall(f"r{self.sent}\n".encode())
                        self.sent += 1
                        self._closing.wait(self.pause_s)
            except OSError:
                return

    def close(self) -> None:
        self._closed = True
        self._closing.set()
        self.listener.close()
