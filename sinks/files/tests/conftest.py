"""Fixtures of ember-sink-files's tests: a SparkContext on every master, and the shared stream
fixtures (a StreamingContext on the real clock, where sources live), and the warnings
ember-sink-files logged."""

from __future__ import annotations

import pytest
from log_records import logged_warnings
from masters import MASTERS, spark_context
from stream_fixtures import collect, ssc  # noqa: F401 - fixtures


@pytest.fixture(params=MASTERS)
def sc(request):
    with spark_context(request.param, "ember-sink-files-tests") as context:
        yield context


@pytest.fixture
def sink_warnings(caplog):
    """A function returning the warnings ember-sink-files logged so far, as messages."""
    return logged_warnings(caplog, "ember.files.sink")
