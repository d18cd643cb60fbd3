"""ember-sink-kafka: write a DStream to a Kafka topic.

from ember_sink_kafka import saveToKafka
saveToKafka(counts.map(lambda wc: (wc[0], str(wc[1]))), "counts",
            {"bootstrap.servers": "localhost:9092"})
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ember.plugins import output_to_sink
from ember_kafka.settings import parse_kafka_params
from ember_sink_kafka.sink import Encoder, KafkaSink, utf8_encoder

SINK_KIND = "kafka"


def saveToKafka(
    dstream,
    topic: str,
    kafkaParams: Mapping[str, Any],
    keyEncoder: Encoder = utf8_encoder,
    valueEncoder: Encoder = utf8_encoder,
) -> None:
    """Write each batch of ``dstream`` to ``topic``: 2-tuples as (key, value), other records
    as values.  Each batch is flushed with ``acks=all`` before it completes (at-least-once)."""
    if not isinstance(topic, str) or not topic:
        raise ValueError(f"saveToKafka: topic must be a topic name, got {topic!r}")
    settings = parse_kafka_params(kafkaParams, where="saveToKafka kafkaParams")
    output_to_sink(
        dstream, SINK_KIND, settings=settings, topic=topic, key_encoder=keyEncoder, value_encoder=valueEncoder
    )


__all__ = ["KafkaSink", "saveToKafka", "utf8_encoder"]
