"""Fixtures of the tests that use ``s3://`` (ember-s3's and the core's checkpoint tests): one
moto server for the session, and a fresh bucket per test with boto3 pointed at it."""

from __future__ import annotations

import pytest
from services import required_module, started


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory):
    # here, not at import: only the tests that use S3 need ember-s3
    testing = required_module("ember_s3.testing", "pip install -e plugins/s3")
    server = started(testing.MotoServer(tmp_path_factory.mktemp("moto")))
    yield server
    server.kill()


@pytest.fixture
def moto_endpoint(moto_server) -> str:
    """``http://127.0.0.1:PORT`` of the session's moto server."""
    return moto_server.endpoint


@pytest.fixture
def s3_bucket(moto_server, monkeypatch, request) -> str:
    """A fresh bucket on the moto server; boto3 is pointed at it through the environment."""
    for name, value in moto_server.environment().items():
        monkeypatch.setenv(name, value)
    bucket = f"ember-ckpt-{abs(hash(request.node.nodeid)) % 10**8}"
    moto_server.client().create_bucket(Bucket=bucket)
    return bucket
