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


@pytest.fixture
def local_sc():
    """The in-process executor, for tests of the scheduler and of API checks whose outcome does
    not depend on the executor (the semantic tests run on every master through ``sc``)."""
    context = SparkContext("local[1]", "ember-streaming-tests")
    try:
        yield context
    finally:
        context.stop()
