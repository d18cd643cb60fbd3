"""The executor tests' fixture: SparkContexts on process pools, stopped after each test."""

from __future__ import annotations

import pytest

from ember import SparkContext


@pytest.fixture
def pool_context():
    """A SparkContext on a 2-worker pool; ``pool_context("local[2,3]", conf)`` for others."""
    contexts = []

    def make(master: str = "local[2]", conf=None) -> SparkContext:
        context = SparkContext(master, "executor-tests", conf=conf)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.stop()
