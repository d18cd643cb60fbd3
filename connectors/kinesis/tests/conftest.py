"""Fixtures of ember-kinesis's tests: a local[2] StreamingContext on the real clock, the
receiver errors a listener saw, and a kinesalite per test module."""

from __future__ import annotations

import pytest
from kinesalite_server import Kinesalite
from stream_fixtures import events, sc, ssc  # noqa: F401 - fixtures


@pytest.fixture(scope="module")
def kinesis(tmp_path_factory):
    """One kinesalite for a test module (each test creates streams of its own)."""
    server = Kinesalite(tmp_path_factory.mktemp("kinesalite")).start()
    yield server
    server.stop()
