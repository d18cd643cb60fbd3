"""Fixtures of ember-ui's tests: a TCP server feeding lines, real jobs run with
``python -m ember run`` in their own processes, and Debian's chromium.

Under CI (``CI=true``) a missing chromium is a failure, elsewhere a skip that says why.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

HERE = pathlib.Path(__file__).resolve().parent
JOB = HERE / "ui_job.py"
URL_LINE = re.compile(r"Spark UI \(ember-ui\) for (?P<app>\S+) at (?P<url>http://\S+)")
WAIT_SECONDS = 60.0


class LineServer:
    """Serves lines to every client that connects, in rounds, until told to stop; a line
    queued with ``send_once`` goes out in the next round."""

    def __init__(self, lines_per_round: int = 40, round_seconds: float = 0.1):
        self.lines_per_round = lines_per_round
        self.round_seconds = round_seconds
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._stop = threading.Event()
        self._once: list[str] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def send_once(self, line: str) -> None:
        with self._lock:
            self._once.append(line)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._feed, args=(connection,), daemon=True).start()

    def _feed(self, connection: socket.socket) -> None:
        number = 0
        with connection:
            while not self._stop.wait(self.round_seconds):
                with self._lock:
                    once, self._once = self._once, []
                lines = [f"round{number} word{i % 13} line{i}" for i in range(self.lines_per_round)] + once
                number += 1
                try:
                    connection.sendall(("\n".join(lines) + "\n").encode())
                except OSError:
                    return

    def close(self) -> None:
        self._stop.set()
        self.listener.close()


class RunningJob:
    """``python -m ember run ui_job.py`` in its own process; stopped by closing its stdin."""

    def __init__(self, tmp_path: pathlib.Path, server_port: int, conf: dict[str, str], name: str = "job"):
        self.figures = tmp_path / f"{name}-figures.jsonl"
        self.stderr_path = tmp_path / f"{name}-stderr.txt"
        args = [sys.executable, "-m", "ember", "run", "--master", "local[2]"]
        for key, value in conf.items():
            args += ["--conf", f"{key}={value}"]
        args += [str(JOB), str(server_port), str(tmp_path / f"{name}-checkpoints"), str(self.figures)]
        self._stderr = open(self.stderr_path, "wb")
        self.process = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._stderr, cwd=tmp_path
        )
        self.url: str | None = None
        self.app_id: str | None = None

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def wait_for_ui(self) -> str:
        """The UI's URL, from the line the plugin writes at start."""
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            match = URL_LINE.search(self.stderr())
            if match:
                self.url = match.group("url")
                self.app_id = self.get_json("/api/v1/applications")[0]["id"]
                return self.url
            if self.process.poll() is not None:
                raise AssertionError(f"the job exited with {self.process.returncode}:\n{self.stderr()}")
            time.sleep(0.05)
        raise AssertionError(f"the job wrote no UI address within {WAIT_SECONDS} s:\n{self.stderr()}")

    def figures_lines(self) -> list[dict]:
        if not self.figures.exists():
            return []
        text = self.figures.read_text()
        return [json.loads(line) for line in text.splitlines() if line.endswith("}")]

    def wait_for_batches(self, condition, what: str) -> list[dict]:
        """Wait until ``condition(figures)`` holds over the listener's batch lines."""
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            figures = self.figures_lines()
            if condition(figures):
                return figures
            if self.process.poll() is not None:
                raise AssertionError(f"the job exited with {self.process.returncode}:\n{self.stderr()}")
            time.sleep(0.1)
        raise AssertionError(f"no {what} within {WAIT_SECONDS} s; batches seen: {self.figures_lines()}")

    def get(self, path: str) -> bytes:
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return response.read()

    def get_json(self, path: str):
        return json.loads(self.get(path))

    def api(self, path: str):
        return self.get_json(f"/api/v1/applications/{self.app_id}/streaming{path}")

    def stop(self) -> int:
        if self.process.poll() is None:
            try:
                self.process.stdin.close()
            except OSError:
                pass
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._stderr.close()
        return self.process.returncode


@pytest.fixture
def line_server():
    server = LineServer()
    yield server
    server.close()


@pytest.fixture
def start_job(tmp_path, line_server):
    jobs: list[RunningJob] = []

    def start(conf: dict[str, str] | None = None, name: str = "job") -> RunningJob:
        job = RunningJob(tmp_path, line_server.port, conf or {}, name)
        jobs.append(job)
        return job

    yield start
    for job in jobs:
        job.stop()


@pytest.fixture
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        message = "chromium is not installed (apt-get install chromium; scripts/test.sh does it)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture
def artifacts_dir(tmp_path) -> pathlib.Path:
    """Where screenshots go: EMBER_TEST_ARTIFACTS when set (CI keeps it), else pytest's tmp."""
    directory = pathlib.Path(os.environ.get("EMBER_TEST_ARTIFACTS", tmp_path / "test-artifacts"))
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture
def browser(chromium, tmp_path):
    """``browser(*args)`` runs headless chromium on a throw-away profile and returns its stdout
    (the DOM with ``--dump-dom``)."""
    return lambda *args: _run_chromium(chromium, tmp_path / "chromium-profile", *args)


def _run_chromium(chromium: str, profile: pathlib.Path, *args: str, timeout: float = 90) -> str:
    command = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--window-size=1280,900",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"chromium failed ({done.returncode}): {done.stderr[-2000:]}"
    return done.stdout
