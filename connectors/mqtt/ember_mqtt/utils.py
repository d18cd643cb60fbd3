"""``MQTTUtils``: the MQTT streams of PySpark 1.6 / Apache Bahir, with their argument names."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ember import StorageLevel
from ember.plugins import create_source_stream
from ember_mqtt.options import Broker, MQTTConfigError, MQTTOptions, check_topic_filter

if TYPE_CHECKING:
    from ember.streaming import DStream, StreamingContext

#: the source kind this connector registers (see ``ember_mqtt.plugin``)
SOURCE_KIND = "mqtt"


class MQTTUtils:
    """Create MQTT input streams (``from ember.streaming.mqtt import MQTTUtils``).

    Beyond PySpark's arguments, Bahir's client options are keyword arguments: ``clientId``,
    ``username``, ``password``, ``cleanSession``, ``qos`` (default 1), ``connectionTimeout``,
    ``keepAliveInterval``, ``mqttVersion``, and ``tls`` (see ``MQTTOptions``).
    """

    @staticmethod
    def createStream(
        ssc: StreamingContext,
        brokerUrl: str,
        topic: str,
        storageLevel: StorageLevel = StorageLevel.MEMORY_AND_DISK_2,
        **options: Any,
    ) -> DStream[str]:
        """A stream of the payloads (UTF-8 text) published on ``topic`` (wildcards allowed)."""
        return _stream(ssc, brokerUrl, [check_topic_filter(topic)], storageLevel, options, paired=False)

    @staticmethod
    def createPairedStream(
        ssc: StreamingContext,
        brokerUrl: str,
        topics: list[str],
        storageLevel: StorageLevel = StorageLevel.MEMORY_AND_DISK_2,
        **options: Any,
    ) -> DStream[tuple[str, str]]:
        """A stream of ``(topic, payload)`` for messages published on any of ``topics``."""
        if isinstance(topics, str) or not topics:
            raise MQTTConfigError(f"createPairedStream: topics must be a non-empty list, got {topics!r}")
        return _stream(
            ssc, brokerUrl, [check_topic_filter(t) for t in topics], storageLevel, options, paired=True
        )


def _stream(
    ssc: StreamingContext,
    broker_url: str,
    topics: list[str],
    storage_level: StorageLevel,
    options: dict[str, Any],
    paired: bool,
) -> DStream[Any]:
    Broker.parse(broker_url)  # a bad URL fails here, in the user's line
    try:
        checked = MQTTOptions(**options)
    except TypeError:
        known = ", ".join(MQTTOptions.__dataclass_fields__)
        raise MQTTConfigError(
            f"unknown MQTT option among {sorted(options)}; the options are: {known}"
        ) from None
    stream: DStream[Any] = create_source_stream(
        ssc,
        SOURCE_KIND,
        brokerUrl=broker_url,
        topics=topics,
        options=checked,
        paired=paired,
        storageLevel=storage_level,
    )
    return stream
