"""Fixtures for checkpoint tests: a checkpoint directory over the local store, and a real
moto S3 server for the s3:// store."""

from __future__ import annotations

import pytest
from services import ServerProcess, free_port

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


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory):
    """``http://127.0.0.1:PORT`` of a moto S3 server started for this test session."""
    port = free_port()
    server = ServerProcess(
        "moto_server",
        ["moto_server", "-H", "127.0.0.1", "-p", str(port)],
        port,
        tmp_path_factory.mktemp("moto"),
    ).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_bucket(moto_endpoint, monkeypatch, request):
    """A fresh bucket on the moto server; boto3 is pointed at it through the environment."""
    pytest.importorskip("ember_s3", reason="the s3:// store comes with ember-s3: pip install -e plugins/s3")
    import boto3

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL_S3": moto_endpoint,
    }.items():
        monkeypatch.setenv(name, value)
    bucket = f"ember-ckpt-{abs(hash(request.node.nodeid)) % 10**8}"
    boto3.client("s3").create_bucket(Bucket=bucket)
    return bucket
