"""Starting the real servers the stream tests talk to, on free loopback ports.

A server that cannot start makes its tests skip with the reason, loudly, except under
``CI=true``, where it is a failure: CI must never pass by testing nothing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def unavailable(service: str, reason: str) -> None:
    """Skip (or, under CI, fail) because ``service`` cannot be started."""
    message = f"cannot start {service} for these tests: {reason}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def wait_until(condition, timeout_s: float = 15.0, what: str = "the condition") -> None:
    """Poll ``condition()`` (for state that has no notification of its own) until it holds."""
    deadline = time.monotonic() + timeout_s
    pause = 0.002
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


class ServerProcess:
    """A server command run in the background, listening on ``port``; restartable on that port."""

    def __init__(self, service: str, command: list[str], port: int, workdir: Path):
        self.service = service
        self.command = command
        self.port = port
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    def start(self, timeout_s: float = 20.0) -> ServerProcess:
        if shutil.which(self.command[0]) is None and not Path(self.command[0]).exists():
            unavailable(self.service, f"{self.command[0]} is not installed")
        log = open(self.workdir / f"{self.service}.log", "ab")
        self.process = subprocess.Popen(self.command, cwd=self.workdir, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout_s
        while not accepts(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                tail = (self.workdir / f"{self.service}.log").read_text(errors="replace")[-600:]
                unavailable(self.service, f"it did not listen on 127.0.0.1:{self.port}: {tail}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
