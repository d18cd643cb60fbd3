"""Helpers for testing sources that live on real time (receivers, watched directories), and
the servers they talk to.

``ember.testing`` drives a StreamingContext on a manual clock, which suits sources whose data
is known in advance.  A receiver's data arrives when a real server sends it, so its tests run
on the real clock and wait for conditions instead of sleeping::

    seen = BatchCollector(ssc.socketTextStream("127.0.0.1", port))
    ssc.start()
    seen.wait_for(lambda c: c.records == ["hello"])

Real servers (a broker, an emulator) run as ``ServerProcess`` on a ``free_port()``.  Nothing
here imports pytest: a server that cannot start raises ``ServiceUnavailable``, and the test
suite decides whether that skips or fails.
"""

from __future__ import annotations

import ctypes
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from ember.plugins.checkpoint_store import CheckpointStore


class BatchCollector:
    """Collects every batch of a DStream as (time, records) and waits on conditions over them."""

    def __init__(self, dstream: Any) -> None:
        """``dstream``: a DStream (the author API names no engine type)."""
        self.batches: list[tuple[Any, list[Any]]] = []
        self._changed = threading.Condition()
        dstream.foreachRDD(self._add)

    def _add(self, time: Any, rdd: Any) -> None:
        records = rdd.collect()
        with self._changed:
            self.batches.append((time, records))
            self._changed.notify_all()

    @property
    def records(self) -> list[Any]:
        """Every record collected so far, batch after batch."""
        with self._changed:
            return [record for _, records in self.batches for record in records]

    def wait_for(
        self,
        condition: Callable[[BatchCollector], bool],
        timeout: float = 15.0,
        what: str = "the expected records",
    ) -> None:
        """Block until ``condition(self)`` holds after some batch; AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"timed out after {timeout} s waiting for {what}; " f"collected {self.records[:20]!r}"
                    )
                self._changed.wait(left)


def wait_until(condition: Callable[[], Any], timeout: float = 15.0, what: str = "the condition") -> Any:
    """Poll ``condition()`` (state with no notification of its own) with a growing pause and
    return its first true value.  A condition that raises is polled again; on timeout the
    AssertionError names the last exception it raised, the error a bare timeout would hide."""
    deadline = time.monotonic() + timeout
    pause = 0.001
    last_error: Exception | None = None
    while True:
        try:
            value = condition()
            if value:
                return value
        except Exception as error:  # noqa: BLE001 - kept to explain a timeout
            last_error = error
        if time.monotonic() > deadline:
            cause = (
                f"; the condition last raised {type(last_error).__name__}: {last_error}" if last_error else ""
            )
            raise AssertionError(f"timed out after {timeout} s waiting for {what}{cause}") from last_error
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def free_port() -> int:
    """A TCP port nothing listens on now, on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def installed_script(name: str) -> str:
    """The console script ``name`` of the environment running this interpreter (pip puts it
    next to ``sys.executable``): the one installed with the tests, not one on PATH by chance."""
    return str(Path(sys.executable).parent / name)


def accepts(port: int) -> bool:
    """Whether something accepts TCP connections on 127.0.0.1:``port``."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


class ServiceUnavailable(RuntimeError):
    """A server a test needs is not installed, or did not start listening."""


class ServerProcess:
    """A server command run in the background, listening on 127.0.0.1:``port``: started and
    waited on until it accepts connections, stopped, killed, restarted on the same port.

    Its output goes to ``NAME.log`` in ``workdir`` (a temporary file without one), and it dies
    with the process that started it, even when that process is SIGKILLed.
    """

    def __init__(self, name: str, command: list[str], port: int, workdir: Path | None = None) -> None:
        self.name = name
        self.command = [str(part) for part in command]
        self.port = port
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] = open(workdir / f"{name}.log", "ab+") if workdir else tempfile.TemporaryFile()

    def start(self, timeout: float = 20.0) -> ServerProcess:
        if shutil.which(self.command[0]) is None:
            raise ServiceUnavailable(f"cannot start {self.name}: {self.command[0]} is not installed")
        self.process = subprocess.Popen(
            self.command, cwd=self.workdir, stdout=self._log, stderr=self._log, preexec_fn=_die_with_parent
        )
        deadline = time.monotonic() + timeout
        while not accepts(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise ServiceUnavailable(
                    f"cannot start {self.name}: it did not listen on "
                    f"127.0.0.1:{self.port}: {self.log_tail(600)}"
                )
            time.sleep(0.02)
        return self

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, and SIGKILL when it has not exited after ``timeout`` seconds."""
        if self.process is not None and self.running():
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    def kill(self) -> None:
        """SIGKILL: the server gets no chance to flush or say goodbye."""
        if self.process is not None and self.running():
            self.process.kill()
        if self.process is not None:
            self.process.wait()

    def restart(self, timeout: float = 20.0) -> ServerProcess:
        self.stop()
        return self.start(timeout)

    def log_tail(self, characters: int = 2000) -> str:
        """The end of what the server wrote to stdout and stderr."""
        self._log.flush()
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-characters:]


def _die_with_parent() -> None:
    """In the server's process: be killed when the test process dies, even by SIGKILL."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def check_checkpoint_store(store: CheckpointStore) -> None:
    """Exercise the contract every checkpoint store keeps (``ember_checkpoint_store``): writes
    replace, listing by prefix, deleting twice, reading what is gone; AssertionError if not."""
    store.write("checkpoint-1", b"one")
    store.write("state/0-1", b"state")
    store.write("checkpoint-1", b"one again")
    assert store.read("checkpoint-1") == b"one again", "a second write must replace the first"
    assert sorted(store.list()) == ["checkpoint-1", "state/0-1"], sorted(store.list())
    assert store.list("state/") == ["state/0-1"], store.list("state/")
    store.delete("state/0-1")
    store.delete("state/0-1")
    assert store.list("state/") == [], "a deleted name is still listed"
    try:
        store.read("state/0-1")
    except FileNotFoundError:
        return
    raise AssertionError("reading a deleted name must raise FileNotFoundError")
