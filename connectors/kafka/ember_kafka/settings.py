"""kafkaParams, as PySpark programs pass them, turned into the settings ember's clients use.

Recognised keys (everything else is handed to the chosen client, see ``client_options``):

- ``bootstrap.servers`` or Spark 0.8's ``metadata.broker.list``: the brokers to contact.
- ``group.id``: the consumer group (``createStream``; commits of ``createDirectStream``).
- ``auto.offset.reset``: where a partition without a known position starts:
  ``smallest``/``earliest`` or ``largest``/``latest`` (the default, as in Spark).
- ``ember.kafka.client``: ``confluent`` (librdkafka), ``kafka-python``, or ``auto`` (the
  default: confluent-kafka when it is installed, kafka-python otherwise).
- ``ember.kafka.commit.offsets``: ``true`` makes the direct stream commit each batch's end
  offsets to ``group.id`` once the batch has completed (never earlier).
- ``ember.kafka.read.timeout.ms``: how long a task waits for the records of its range before
  failing the batch (default 30000); ``ember.kafka.connect.timeout.ms``: how long the driver
  waits for a broker at start (default 10000).
- ZooKeeper-era keys (``zookeeper.*``) are ignored: Kafka no longer uses ZooKeeper for clients.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from ember_kafka.errors import KafkaConfigError

CLIENTS = ("kafka-python", "confluent")
_RESETS = {"smallest": "earliest", "earliest": "earliest", "largest": "latest", "latest": "latest"}
_HANDLED = {
    "bootstrap.servers",
    "metadata.broker.list",
    "group.id",
    "auto.offset.reset",
    "ember.kafka.client",
    "ember.kafka.commit.offsets",
    "ember.kafka.read.timeout.ms",
    "ember.kafka.connect.timeout.ms",
}


@dataclass(frozen=True)
class KafkaSettings:
    """Everything a client needs to connect; plain data, so it travels to tasks."""

    bootstrap_servers: str
    client: str = "kafka-python"
    group_id: str | None = None
    auto_offset_reset: str = "latest"
    commit_offsets: bool = False
    read_timeout_ms: int = 30_000
    connect_timeout_ms: int = 10_000
    #: kafkaParams keys ember does not handle itself, passed to the client as (key, value)
    client_options: tuple[tuple[str, str], ...] = ()

    def with_group(self, group_id: str) -> KafkaSettings:
        return replace(self, group_id=group_id)


def default_client() -> str:
    """confluent-kafka when installed (about 3x faster here), kafka-python otherwise."""
    return "confluent" if importlib.util.find_spec("confluent_kafka") else "kafka-python"


def parse_kafka_params(
    kafka_params: Mapping[str, Any] | None, *, servers: str | None = None, where: str = "kafkaParams"
) -> KafkaSettings:
    """Validate ``kafka_params`` and return the settings; ``servers`` is a fallback address."""
    params = {str(k): str(v) for k, v in dict(kafka_params or {}).items()}
    bootstrap = params.get("bootstrap.servers") or params.get("metadata.broker.list") or servers
    if not bootstrap:
        raise KafkaConfigError(
            f"{where} must name the brokers: set 'bootstrap.servers' (or Spark 0.8's "
            "'metadata.broker.list') to 'host:port[,host:port...]'"
        )
    reset = params.get("auto.offset.reset", "largest").lower()
    if reset not in _RESETS:
        raise KafkaConfigError(
            f"{where}['auto.offset.reset'] is {params['auto.offset.reset']!r}; use one of "
            "'smallest', 'largest', 'earliest', 'latest'"
        )
    client = params.get("ember.kafka.client", "auto")
    if client == "auto":
        client = default_client()
    if client not in CLIENTS:
        raise KafkaConfigError(
            f"{where}['ember.kafka.client'] is {client!r}; use one of " f"{', '.join(CLIENTS)} or 'auto'"
        )
    if client == "confluent" and not importlib.util.find_spec("confluent_kafka"):
        raise KafkaConfigError(
            f"{where} asks for the confluent client, which is not installed: "
            "pip install 'ember-kafka[confluent]'"
        )
    commit = params.get("ember.kafka.commit.offsets", "false").lower() in ("true", "1", "yes")
    if commit and not params.get("group.id"):
        raise KafkaConfigError(
            f"{where} sets 'ember.kafka.commit.offsets' but no 'group.id' " "to commit them to"
        )
    extra = tuple(
        sorted((k, v) for k, v in params.items() if k not in _HANDLED and not k.startswith("zookeeper."))
    )
    return KafkaSettings(
        bootstrap_servers=bootstrap,
        client=client,
        group_id=params.get("group.id"),
        auto_offset_reset=_RESETS[reset],
        commit_offsets=commit,
        read_timeout_ms=_positive_int(params, "ember.kafka.read.timeout.ms", 30_000, where),
        connect_timeout_ms=_positive_int(params, "ember.kafka.connect.timeout.ms", 10_000, where),
        client_options=extra,
    )


def _positive_int(params: Mapping[str, str], key: str, default: int, where: str) -> int:
    raw = params.get(key)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise KafkaConfigError(f"{where}[{key!r}] must be a positive number of ms, got {raw!r}")
    return value
