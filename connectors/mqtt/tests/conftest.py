"""Fixtures of ember-mqtt's tests: a local[2] StreamingContext on the real clock, the receiver
errors a listener saw, and a Mosquitto broker of the test's own."""

from __future__ import annotations

import pytest
from mosquitto_broker import Mosquitto
from stream_fixtures import events, sc, ssc  # noqa: F401 - fixtures


@pytest.fixture
def broker(tmp_path):
    """A Mosquitto broker of its own for the test, anonymous clients allowed."""
    server = Mosquitto(tmp_path).start()
    yield server
    server.stop()
