"""The entry point of ember-flume: the ``flume`` source kind and ``ember.streaming.flume``."""

from __future__ import annotations

import ember_flume
from ember.plugins import SourceKind, hookimpl
from ember_flume.receiver import FlumeReceiver
from ember_flume.utils import SOURCE_KIND


def create_flume_receiver(ssc, **options) -> FlumeReceiver:
    return FlumeReceiver(**options)


@hookimpl
def ember_source_kinds() -> list[SourceKind]:
    return [
        SourceKind(
            SOURCE_KIND,
            create_flume_receiver,
            "FlumeUtils.createStream: an Avro RPC server for Flume's Avro sink",
        )
    ]


@hookimpl
def ember_connector_apis():
    return {"flume": ember_flume}
