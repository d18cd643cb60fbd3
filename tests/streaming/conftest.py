"""Fixtures of the streaming tests: a two-worker context matching the PySpark runs the
expected values were taken from (local[2], so sc.defaultParallelism == 2)."""
from __future__ import annotations

import pytest

from ember import SparkContext


@pytest.fixture
def sc2():
    context = SparkContext("local[2]", "ember-streaming-tests")
    try:
        yield context
    finally:
        context.stop()
