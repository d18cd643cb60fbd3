"""The Kafka sink: each task sends its partition's records with ``acks=all`` and flushes, so
a batch completes only once the broker has acknowledged every record of it.

Records that are 2-tuples are ``(key, value)``; anything else is a value without a key.  Keys
and values go through encoders (UTF-8 for ``str``, ``bytes`` as they are, ``None`` stays
``None`` by default).  Kafka offers no way to take back records already written, so a batch
that is re-run (a failed task retried, a batch recovered from a checkpoint) writes its records
again: the sink is at-least-once, and exactly-once needs consumers that deduplicate (e.g. by
key) — see docs/kafka.md.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

from ember.plugins import Sink
from ember_kafka.clients import open_producer
from ember_kafka.clients.base import RecordProducer
from ember_kafka.errors import KafkaConnectorError
from ember_kafka.settings import KafkaSettings

Encoder = Callable[[Any], bytes | None]
#: how long a task waits for the broker to acknowledge its partition's records
FLUSH_TIMEOUT_S = 60.0
_log = logging.getLogger("ember.kafka.sink")
_producers: dict[KafkaSettings, RecordProducer] = {}
_producers_lock = threading.Lock()


def utf8_encoder(value: Any) -> bytes | None:
    """``str`` as UTF-8, ``bytes`` unchanged, ``None`` unchanged; other types are an error."""
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    raise TypeError(
        f"cannot write {type(value).__name__} {value!r} to Kafka as text; map it "
        "to str or bytes first, or pass keyEncoder/valueEncoder"
    )


def _producer(settings: KafkaSettings) -> RecordProducer:
    """One producer per worker process and settings (producers are thread-safe)."""
    with _producers_lock:
        if settings not in _producers:
            _producers[settings] = open_producer(settings)
        return _producers[settings]


class KafkaSink(Sink):
    """Writes every batch of a DStream to ``topic``; picklable, it runs in tasks."""

    def __init__(
        self,
        settings: KafkaSettings,
        topic: str,
        key_encoder: Encoder = utf8_encoder,
        value_encoder: Encoder = utf8_encoder,
    ):
        self.settings = settings
        self.topic = topic
        self.key_encoder = key_encoder
        self.value_encoder = value_encoder

    def write_partition(self, batch: Any, partition: int, records: Iterator[Any]) -> int:
        producer = _producer(self.settings)
        encode_key, encode_value, topic = self.key_encoder, self.value_encoder, self.topic
        sent = 0
        for record in records:
            try:
                if isinstance(record, tuple) and len(record) == 2:
                    key, value = encode_key(record[0]), encode_value(record[1])
                else:
                    key, value = None, encode_value(record)
            except Exception as error:
                raise KafkaConnectorError(
                    f"Kafka sink for topic {topic!r}: record {sent} of partition {partition} "
                    f"of the batch at {batch} ms could not be encoded: {error}"
                ) from error
            producer.send(topic, key, value)
            sent += 1
        producer.flush(FLUSH_TIMEOUT_S)
        return sent

    def commit_batch(self, batch: Any, receipts: list[Any]) -> None:
        """Nothing left to do: every task flushed, so every record is acknowledged."""
        _log.debug("batch at %s ms: %d records acknowledged by topic %s", batch, sum(receipts), self.topic)

    def abort_batch(self, batch: Any, error: BaseException) -> None:
        _log.warning(
            "batch at %s ms failed while writing to Kafka topic %s; records already "
            "acknowledged stay in the topic and a re-run writes them again: %s",
            batch,
            self.topic,
            error,
        )
