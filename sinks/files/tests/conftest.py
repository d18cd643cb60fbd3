"""Fixtures for the ember-sink-files tests: a SparkContext, and the sink's log records."""
from __future__ import annotations

import logging

import pytest

from ember import SparkContext


@pytest.fixture
def sc():
    context = SparkContext("local[2]", "ember-sink-files-tests")
    try:
        yield context
    finally:
        context.stop()


@pytest.fixture
def sink_warnings(caplog):
    """A function returning the warnings ember-sink-files logged so far, as messages."""
    caplog.set_level(logging.WARNING, logger="ember.files.sink")

    def messages() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == "ember.files.sink"]
    return messages
