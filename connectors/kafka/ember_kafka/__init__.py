"""ember-kafka: PySpark 2.x's Kafka streams for ember (``from ember.streaming.kafka import
KafkaUtils, OffsetRange, TopicAndPartition`` once installed).  See docs/kafka.md."""

from ember_kafka.errors import (
    BrokerUnreachableError,
    DecodeError,
    KafkaConfigError,
    KafkaConnectorError,
    OffsetOutOfRangeError,
    RangeReadError,
    TopicNotFoundError,
)
from ember_kafka.messages import KafkaMessageAndMetadata, utf8_decoder
from ember_kafka.ranges import Broker, OffsetRange, TopicAndPartition
from ember_kafka.utils import KafkaUtils

__all__ = [
    "Broker",
    "BrokerUnreachableError",
    "DecodeError",
    "KafkaConfigError",
    "KafkaConnectorError",
    "KafkaMessageAndMetadata",
    "KafkaUtils",
    "OffsetOutOfRangeError",
    "OffsetRange",
    "RangeReadError",
    "TopicAndPartition",
    "TopicNotFoundError",
    "utf8_decoder",
]
