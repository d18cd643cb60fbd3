"""Fixtures for the ember-files tests: a SparkContext per master, and the ``ember.files`` log
records."""
from __future__ import annotations

import logging

import pytest

from ember import SparkContext


@pytest.fixture(params=["local[1]", "local[2]"])
def sc(request):
    context = SparkContext(request.param, "ember-files-tests")
    try:
        yield context
    finally:
        context.stop()


@pytest.fixture
def file_warnings(caplog):
    """A function returning the warnings the file sources logged so far, as messages."""
    caplog.set_level(logging.WARNING, logger="ember.files")

    def messages() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == "ember.files" and r.levelno >= logging.WARNING]
    return messages
