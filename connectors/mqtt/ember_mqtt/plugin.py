"""The entry point of ember-mqtt: the ``mqtt`` source kind and ``ember.streaming.mqtt``."""

from __future__ import annotations

import ember_mqtt
from ember.plugins import SourceKind, hookimpl
from ember_mqtt.receiver import MQTTReceiver
from ember_mqtt.utils import SOURCE_KIND


@hookimpl
def ember_source_kinds() -> list[SourceKind]:
    return [
        SourceKind(
            SOURCE_KIND,
            MQTTReceiver.for_stream,
            "MQTTUtils.createStream/createPairedStream: a paho-mqtt subscriber receiver",
        )
    ]


@hookimpl
def ember_connector_apis():
    return {"mqtt": ember_mqtt}
