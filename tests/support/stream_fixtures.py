"""Fixtures the stream tests of the connector and sink distributions share (each test folder's
conftest imports the ones it uses): a StreamingContext on the real clock, where sources live,
collectors of its batches, and the receiver errors a listener saw."""

from __future__ import annotations

import pytest
from stream_batches import ReceiverEvents

from ember import SparkConf, SparkContext
from ember.plugins.testing import BatchCollector
from ember.plugins.testing import wait_until as _wait_until
from ember.streaming import StreamingContext

BATCH_SECONDS = 0.1


@pytest.fixture
def sc(request):
    """A ``local[2]`` context for network sources (they do not vary by executor, and the
    machine is shared); ``@pytest.mark.spark_conf(key=value, ...)`` on a test sets its SparkConf."""
    marker = request.node.get_closest_marker("spark_conf")
    conf = SparkConf().setAll((k.replace("__", "."), v) for k, v in (marker.kwargs if marker else {}).items())
    context = SparkContext("local[2]", "ember-stream-tests", conf=conf)
    yield context
    context.stop()


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


@pytest.fixture
def events(ssc):
    listener = ReceiverEvents()
    ssc.addStreamingListener(listener)
    return listener
