"""Helpers of ember-dask's tests (a module of its own name: test directories' conftest
modules clash when collected together): a scheduler and workers started as their own
processes (``dask scheduler`` / ``dask worker``, as a user's cluster runs), and jobs run with
``python -m ember run`` in their own processes."""

from __future__ import annotations

import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager

import pytest
from ember_dask.masters import cluster_workers
from kept_state_checks import RUNNING_COUNTS, WORDS

from ember.testing import advance_batches, collect_outputs, manual_streaming_context

HERE = pathlib.Path(__file__).resolve().parent
JOBS = HERE / "jobs"
WAIT_SECONDS = 90.0


def wait_for(condition, what: str, process: subprocess.Popen | None = None, log: pathlib.Path | None = None):
    """Poll ``condition()`` until it is true; fail naming ``what`` (and the job's log)."""
    deadline = time.monotonic() + WAIT_SECONDS
    pause = 0.01
    while True:
        result = condition()
        if result:
            return result
        if process is not None and process.poll() is not None:
            pytest.fail(
                f"the job exited ({process.returncode}) while waiting for {what}:\n"
                f"{log.read_text() if log else ''}"
            )
        if time.monotonic() > deadline:
            pytest.fail(
                f"timed out after {WAIT_SECONDS} s waiting for {what}\n{log.read_text() if log else ''}"
            )
        time.sleep(pause)
        pause = min(pause * 2, 0.2)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def job_environment() -> dict[str, str]:
    return dict(os.environ, PYTHONHASHSEED="0", PYTHONUNBUFFERED="1")


def run_job(script: str, master: str, *args: str, log: pathlib.Path) -> subprocess.Popen:
    """``python -m ember run --master MASTER jobs/SCRIPT ARGS`` with its output in ``log``."""
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "ember", "run", "--master", master, str(JOBS / script), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=job_environment(),
        )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(30)


@contextmanager
def dask_cluster_processes(tmp_path):
    """``dask scheduler`` and two ``dask worker`` processes on loopback; yields the address."""
    port = free_port()
    env = job_environment()
    logs = tmp_path / "cluster.log"
    with open(logs, "wb") as out:
        scheduler = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dask",
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-dashboard",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
        workers = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dask",
                "worker",
                f"tcp://127.0.0.1:{port}",
                "--nworkers",
                "2",
                "--nthreads",
                "1",
                "--host",
                "127.0.0.1",
                "--no-dashboard",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        from distributed import Client

        def two_workers():
            try:
                with Client(f"tcp://127.0.0.1:{port}", timeout="2s") as client:
                    return len(cluster_workers(client)) == 2
            except OSError:
                return False

        wait_for(two_workers, "a scheduler with two workers", scheduler, logs)
        yield f"127.0.0.1:{port}"
    finally:
        stop(workers)
        stop(scheduler)


def kill_worker(sc, status) -> None:
    """SIGKILL the Dask worker of ``status`` (``WorkerStatus``) and wait until the scheduler
    has seen it go (its nanny then starts a new worker process at another address)."""
    os.kill(status.pid, signal.SIGKILL)
    wait_for(
        lambda: status.worker_id not in cluster_workers(sc.executor.client),
        "the scheduler to see the worker gone",
    )


#: the batches of words of the updateStateByKey jobs, and PySpark's running counts after each
#: (the first five of the core's kept-state tests)
STATE_BATCHES = WORDS[:5]
STATE_TOTALS = RUNNING_COUNTS[:5]


class StateJob:
    """Running word counts (updateStateByKey, 2 partitions) on a manual clock, the state kept
    by the workers and encoded only at its default checkpoint interval (the first multiple of
    the batch from 10 s on); its update function leaves one file per call, named after the
    pid of the worker that made it: how often, and where, the state was updated."""

    def __init__(self, sc, tmp_path: pathlib.Path, batch_seconds: int):
        self.calls = tmp_path / "update-calls"
        self.calls.mkdir()
        where = str(self.calls)

        def count(new_values, state):
            open(os.path.join(where, f"{os.getpid()}-{uuid.uuid4().hex}"), "w").close()
            return sum(new_values) + (state or 0)

        self.ssc = manual_streaming_context(sc, batch_seconds, str(tmp_path / "checkpoint"))
        words = self.ssc.queueStream([sc.parallelize(batch, 2) for batch in STATE_BATCHES])
        totals = words.map(lambda word: (word, 1)).updateStateByKey(count, numPartitions=2)
        self._outputs = collect_outputs(totals)
        self.ssc.start()

    def advance(self, batches: int) -> None:
        advance_batches(self.ssc, batches)

    def stop(self) -> list[list]:
        """Stop the streaming context; each batch's sorted counts."""
        self.ssc.stop(stopSparkContext=False)
        return [sorted(batch) for batch in self._outputs]

    def updates(self) -> int:
        return len(os.listdir(self.calls))

    def updating_pids(self) -> set[int]:
        return {int(name.split("-")[0]) for name in os.listdir(self.calls)}
