"""The client layer against a real broker, on both client libraries: finding each partition's
real end, reading exact offset ranges, and the errors for what cannot be read."""

from __future__ import annotations

import time

import pytest

from ember_kafka.clients import open_reader
from ember_kafka.errors import (
    BrokerUnreachableError,
    OffsetOutOfRangeError,
    RangeReadError,
    TopicNotFoundError,
)
from ember_kafka.offsets import bounded_ends, log_ends, starting_offsets
from ember_kafka.ranges import OffsetRange, TopicAndPartition
from ember_kafka.settings import parse_kafka_params
from ember_kafka.testing import free_port


def reader_for(broker, client, **params):
    settings = parse_kafka_params(
        {"bootstrap.servers": broker.bootstrap, "ember.kafka.client": client, **params}
    )
    reader = open_reader(settings)
    return reader


@pytest.mark.parametrize("batched", [False, True], ids=["linger0", "batched"])
def test_log_ends_and_ranges_cover_every_record(tansu, client, batched):
    topic = tansu.create_topic(partitions=2)
    for partition in (0, 1):
        tansu.produce(
            topic, [f"p{partition}-{i}" for i in range(37 + partition)], partition=partition, batched=batched
        )
    reader = reader_for(tansu, client)
    try:
        partitions = reader.partitions([topic])
        assert partitions == [TopicAndPartition(topic, 0), TopicAndPartition(topic, 1)]
        starts = starting_offsets(reader, partitions, "earliest")
        ends = log_ends(reader, starts)
        assert ends == {partitions[0]: 37, partitions[1]: 38}
        read = []
        for p in partitions:  # two ranges per partition, split mid-way, add up to the log
            middle = (starts[p] + ends[p]) // 2
            for lo, hi in ((starts[p], middle), (middle, ends[p])):
                got = list(reader.read_range(OffsetRange(p.topic, p.partition, lo, hi)))
                assert [r.offset for r in got] == list(range(lo, hi))
                read += [(r.partition, r.offset, r.value) for r in got]
    finally:
        reader.close()
    assert read == [(p, o, v) for p, o, _, v in tansu.read_all(topic)]


def test_latest_start_and_rate_bound(tansu, client):
    topic = tansu.create_topic()
    tansu.produce(topic, [str(i) for i in range(20)], batched=True)
    reader = reader_for(tansu, client)
    try:
        p = TopicAndPartition(topic, 0)
        assert starting_offsets(reader, [p], "latest") == {p: 20}
        assert starting_offsets(reader, [p], "earliest") == {p: 0}
        assert bounded_ends({p: 0}, {p: 20}, 7) == {p: 7}
    finally:
        reader.close()


def test_missing_topic_is_named(tansu, client):
    reader = reader_for(tansu, client)
    try:
        with pytest.raises(TopicNotFoundError, match="'no-such-topic'"):
            reader.partitions(["no-such-topic"])
    finally:
        reader.close()


def test_unreachable_broker_fails_fast_with_the_address(client):
    address = f"127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(BrokerUnreachableError, match=address):
        settings = parse_kafka_params(
            {
                "bootstrap.servers": address,
                "ember.kafka.client": client,
                "ember.kafka.connect.timeout.ms": "1500",
            }
        )
        reader = open_reader(settings)
        try:
            reader.partitions(["t"])
        finally:
            reader.close()
    assert time.monotonic() - started < 10


def test_position_past_the_log_end_is_out_of_range(tansu, client):
    topic = tansu.create_topic()
    tansu.produce(topic, ["a", "b", "c"])
    reader = reader_for(tansu, client)
    try:
        p = TopicAndPartition(topic, 0)
        with pytest.raises(OffsetOutOfRangeError, match=rf"Offset 10 of {topic}-0"):
            log_ends(reader, {p: 10})
    finally:
        reader.close()


def test_range_that_the_log_does_not_hold_fails_the_read(tansu, client):
    topic = tansu.create_topic()
    tansu.produce(topic, ["a", "b"])
    reader = reader_for(tansu, client, **{"ember.kafka.read.timeout.ms": "800"})
    try:
        with pytest.raises(RangeReadError, match=r"stopped at offset 2"):
            list(reader.read_range(OffsetRange(topic, 0, 0, 5)))
    finally:
        reader.close()


def test_create_rdd_reads_exactly_the_given_ranges(tansu, client, sc):
    from ember.streaming.kafka import KafkaUtils

    topic = tansu.create_topic(partitions=2)
    tansu.produce(topic, [f"a{i}" for i in range(6)], partition=0, batched=True)
    tansu.produce(topic, [f"b{i}" for i in range(4)], partition=1)
    rdd = KafkaUtils.createRDD(
        sc,
        {"metadata.broker.list": tansu.bootstrap, "ember.kafka.client": client},
        [OffsetRange(topic, 0, 1, 4), OffsetRange(topic, 1, 2, 4)],
        messageHandler=lambda m: (m.partition, m.offset, m.message),
    )
    assert rdd.getNumPartitions() == 2
    assert rdd.collect() == [(0, 1, "a1"), (0, 2, "a2"), (0, 3, "a3"), (1, 2, "b2"), (1, 3, "b3")]


@pytest.mark.parametrize(
    "params, message",
    [
        ({}, "must name the brokers"),
        ({"bootstrap.servers": "h:1", "auto.offset.reset": "oldest"}, r"\['auto.offset.reset'\] is 'oldest'"),
        ({"bootstrap.servers": "h:1", "ember.kafka.client": "java"}, r"\['ember.kafka.client'\] is 'java'"),
        ({"bootstrap.servers": "h:1", "ember.kafka.commit.offsets": "true"}, "no 'group.id'"),
        ({"bootstrap.servers": "h:1", "ember.kafka.read.timeout.ms": "soon"}, "positive number of ms"),
    ],
)
def test_bad_kafka_params_say_what_is_wrong(params, message):
    from ember_kafka import KafkaConfigError

    with pytest.raises(KafkaConfigError, match=message):
        parse_kafka_params(params)


def test_kafka_python_rejects_a_setting_it_does_not_have(tansu):
    from ember_kafka import KafkaConfigError

    with pytest.raises(KafkaConfigError, match="'no.such.setting' is not a kafka-python setting"):
        reader_for(tansu, "kafka-python", **{"no.such.setting": "1"})


def test_pyspark_types():
    r = OffsetRange("t", 1, 5, 9)
    assert (r.topic, r.partition, r.fromOffset, r.untilOffset, r.count()) == ("t", 1, 5, 9, 4)
    assert str(r) == "OffsetRange(topic: t, partition: 1, range: [5 -> 9])"
    assert r.topicAndPartition() == TopicAndPartition("t", 1)
    assert {TopicAndPartition("t", 1): 3}[TopicAndPartition("t", 1)] == 3
    with pytest.raises(ValueError, match="ends before it starts"):
        OffsetRange("t", 0, 9, 5)
