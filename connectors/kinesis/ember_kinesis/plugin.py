"""The entry point of ember-kinesis: the ``kinesis`` source kind and ``ember.streaming.kinesis``."""

from __future__ import annotations

import ember_kinesis
from ember.plugins import SourceKind, hookimpl
from ember_kinesis.source import KinesisSource
from ember_kinesis.utils import SOURCE_KIND


def create_kinesis_source(ssc, access, initial, decoder) -> KinesisSource:
    return KinesisSource(access, initial, decoder)


@hookimpl
def ember_source_kinds() -> list[SourceKind]:
    return [
        SourceKind(
            SOURCE_KIND,
            create_kinesis_source,
            "KinesisUtils.createStream: per-shard sequence-number ranges, replayable",
        )
    ]


@hookimpl
def ember_connector_apis():
    return {"kinesis": ember_kinesis}
