"""The entry point of ember-kafka: the ``kafka`` (direct) and ``kafka-receiver`` source kinds,
and the ``ember.streaming.kafka`` module PySpark programs import ``KafkaUtils`` from."""

from __future__ import annotations

import ember_kafka
from ember.plugins import SourceKind, hookimpl
from ember_kafka.direct import DirectKafkaSource
from ember_kafka.receiver import KafkaReceiver
from ember_kafka.utils import DIRECT_KIND, RECEIVER_KIND


def create_direct_source(ssc, settings, topics, from_offsets, decoder) -> DirectKafkaSource:
    return DirectKafkaSource(settings, topics, from_offsets, decoder)


def create_receiver(ssc, settings, topics, storageLevel, commit_when_stored) -> KafkaReceiver:
    return KafkaReceiver(settings, topics, storageLevel, commit_when_stored)


@hookimpl
def ember_source_kinds() -> list[SourceKind]:
    return [
        SourceKind(
            DIRECT_KIND,
            create_direct_source,
            "KafkaUtils.createDirectStream: offset ranges per batch, replayable",
        ),
        SourceKind(RECEIVER_KIND, create_receiver, "KafkaUtils.createStream: a consumer-group receiver"),
    ]


@hookimpl
def ember_connector_apis():
    return {"kafka": ember_kafka}
