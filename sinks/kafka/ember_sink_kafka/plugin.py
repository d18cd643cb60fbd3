"""The entry point of ember-sink-kafka: provides the ``kafka`` sink kind."""

from __future__ import annotations

from ember.plugins import SinkKind, hookimpl
from ember_sink_kafka.sink import KafkaSink


@hookimpl
def ember_sink_kinds() -> list[SinkKind]:
    return [
        SinkKind(
            "kafka",
            KafkaSink,
            "saveToKafka: values or (key, value) pairs to a topic, acks=all, flushed per batch",
        )
    ]
