"""Fixtures for checkpoint tests: a checkpoint directory over the local store, and a real
moto S3 server for the s3:// store (the fixtures ember-s3's tests use too)."""

from __future__ import annotations

import pytest
from s3_fixtures import moto_endpoint, moto_server, s3_bucket  # noqa: F401 - fixtures

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
