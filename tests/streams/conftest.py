"""Fixtures of the Flume, Kinesis and MQTT stream tests: a StreamingContext on ``local[2]``
(network sources do not vary by executor, and the machine is shared), and the receiver errors
a listener saw."""

from __future__ import annotations

import pytest
from stream_batches import ReceiverEvents

from ember import SparkConf, SparkContext
from ember.streaming import StreamingContext

BATCH_SECONDS = 0.1


@pytest.fixture
def sc(request):
    """``@pytest.mark.spark_conf(key=value, ...)`` on a test sets its SparkConf."""
    marker = request.node.get_closest_marker("spark_conf")
    conf = SparkConf().setAll((k.replace("__", "."), v) for k, v in (marker.kwargs if marker else {}).items())
    context = SparkContext("local[2]", "ember-stream-tests", conf=conf)
    yield context
    context.stop()


@pytest.fixture
def ssc(sc):
    context = StreamingContext(sc, BATCH_SECONDS)
    yield context
    context.stop(stopSparkContext=False)


@pytest.fixture
def events(ssc):
    listener = ReceiverEvents()
    ssc.addStreamingListener(listener)
    return listener


@pytest.fixture
def broker(tmp_path):
    """A Mosquitto broker of its own for the test, anonymous clients allowed."""
    from mosquitto_broker import Mosquitto  # paho: only where ember-mqtt's tests run

    server = Mosquitto(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def kinesis(tmp_path_factory):
    """One kinesalite for a test module (each test creates streams of its own)."""
    from kinesalite_server import Kinesalite  # boto3: only where ember-kinesis's tests run

    server = Kinesalite(tmp_path_factory.mktemp("kinesalite")).start()
    yield server
    server.stop()


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "spark_conf(**settings): SparkConf of the test's context " "(write dots as double underscores)",
    )
