"""Fixtures of ember-socket's tests: a SparkContext on every master, and the shared stream
fixtures (a StreamingContext on the real clock, where sources live)."""

from __future__ import annotations

import pytest
from masters import MASTERS, spark_context
from stream_fixtures import collect, ssc, wait_until  # noqa: F401 - fixtures


@pytest.fixture(params=MASTERS)
def sc(request):
    with spark_context(request.param, "ember-socket-tests") as context:
        yield context
