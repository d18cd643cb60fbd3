"""The Kafka direct stream accepts recorded ranges of its own topics only (checked on recovery,
before anything is read: a checkpoint file may have been edited)."""

from __future__ import annotations

import pytest

from ember.plugins import PositionRange
from ember_kafka.direct import DirectKafkaSource
from ember_kafka.settings import parse_kafka_params


def _source() -> DirectKafkaSource:
    settings = parse_kafka_params({"bootstrap.servers": "127.0.0.1:9"}, where="test kafkaParams")
    return DirectKafkaSource(settings, ["orders", "my-topic"], {}, decoder=None)


def test_ranges_of_the_subscribed_topics_are_accepted():
    _source().validate_positions([PositionRange("orders-0", 0, 10), PositionRange("my-topic-3", 5, 5)])


@pytest.mark.parametrize(
    "position, message",
    [
        (
            PositionRange("payroll-0", 0, 10),
            "'payroll-0' is not a partition of the subscribed topics orders, my-topic",
        ),
        (PositionRange("orders", 0, 10), "'orders' is not a partition"),
        (PositionRange("orders-x", 0, 10), "'orders-x' is not a partition"),
        (PositionRange("orders-0", 10, 5), r"offsets \[10, 5\) of orders-0 are not a range"),
        (PositionRange("orders-0", -1, 5), r"offsets \[-1, 5\) of orders-0 are not a range"),
        (PositionRange("orders-0", "0", 5), r"offsets \['0', 5\) of orders-0 are not a range"),
    ],
)
def test_foreign_or_malformed_ranges_are_refused(position, message):
    with pytest.raises(ValueError, match=message):
        _source().validate_positions([position])
