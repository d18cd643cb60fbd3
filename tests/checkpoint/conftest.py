"""Fixtures for checkpoint tests: a checkpoint directory over the local store, and a real
moto S3 server for the s3:// store."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time

import pytest

from ember.checkpoint import CheckpointDirectory, ValueCodec, open_store


@pytest.fixture
def start_job(tmp_path):
    """``start_job(script, args)`` runs a job file of jobs/ in a subprocess; every job still
    running when the test ends is killed."""
    from chaos import JobProcess

    started: list[JobProcess] = []

    def start(script: str, args: list[str], env: dict | None = None) -> JobProcess:
        job = JobProcess(script, args, str(tmp_path / f"run-{len(started) + 1}.log"), env)
        started.append(job)
        return job

    yield start
    for job in started:
        if job.process.poll() is None:
            job.kill()


@pytest.fixture
def checkpoints(tmp_path) -> CheckpointDirectory:
    return CheckpointDirectory(open_store(str(tmp_path / "checkpoints")), ValueCodec(), keep=3)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _service_unavailable(message: str):
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def moto_endpoint():
    """``http://127.0.0.1:PORT`` of a moto S3 server started for this test session."""
    binary = shutil.which("moto_server")
    if binary is None:
        _service_unavailable('moto_server is not installed: pip install "moto[server]"')
    port = _free_port()
    server = subprocess.Popen([binary, "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                _service_unavailable(f"moto_server did not start on port {port}")
            time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture
def s3_bucket(moto_endpoint, monkeypatch, request):
    """A fresh bucket on the moto server; boto3 is pointed at it through the environment."""
    pytest.importorskip("ember_s3", reason="the s3:// store comes with ember-s3: pip install -e plugins/s3")
    import boto3

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL_S3": moto_endpoint}.items():
        monkeypatch.setenv(name, value)
    bucket = f"ember-ckpt-{abs(hash(request.node.nodeid)) % 10**8}"
    boto3.client("s3").create_bucket(Bucket=bucket)
    return bucket
