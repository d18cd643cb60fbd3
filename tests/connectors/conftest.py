"""Fixtures for connector tests: a StreamingContext on the real clock (sources live on it)."""

from __future__ import annotations

import pytest

from ember.plugins.testing import BatchCollector
from ember.plugins.testing import wait_until as _wait_until
from ember.streaming import StreamingContext

BATCH_SECONDS = 0.1


@pytest.fixture
def ssc(sc):
    context = StreamingContext(sc, BATCH_SECONDS)
    try:
        yield context
    finally:
        context.stop(stopSparkContext=False)


@pytest.fixture
def collect():
    return BatchCollector


@pytest.fixture
def wait_until():
    return _wait_until
