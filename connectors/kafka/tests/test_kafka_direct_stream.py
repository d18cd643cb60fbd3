"""createDirectStream end to end on a real broker, on both client libraries: every record
exactly once with both producer styles, offset ranges, resets, rate limits, new partitions,
commits and the errors a stream can meet."""

from __future__ import annotations

import gc
import inspect

import pytest
from kafka_checks import first_batch_fails

from ember import SparkConf, SparkContext
from ember.streaming.kafka import KafkaUtils, OffsetRange, TopicAndPartition
from ember.testing import advance_batches, manual_streaming_context
from ember_kafka import BrokerUnreachableError, DecodeError, OffsetOutOfRangeError, TopicNotFoundError
from ember_kafka.testing import free_port


def params(broker, client, **extra):
    return {
        "bootstrap.servers": broker.bootstrap,
        "ember.kafka.client": client,
        "auto.offset.reset": "smallest",
        **extra,
    }


class Recorder:
    """Each batch's records and offset ranges, as foreachRDD sees them."""

    def __init__(self, stream):
        self.batches: list[list] = []
        self.ranges: list[list] = []
        stream.foreachRDD(self._record)

    def _record(self, rdd) -> None:
        self.ranges.append(rdd.offsetRanges())
        self.batches.append(rdd.collect())

    def records(self) -> list:
        return [r for batch in self.batches for r in batch]


@pytest.mark.parametrize("batched", [False, True], ids=["linger0", "batched"])
def test_every_record_exactly_once_with_ranges_that_add_up(tansu, client, sc, batched):
    topic = tansu.create_topic(partitions=2)
    sent = []
    for partition in (0, 1):
        values = [f"before-{partition}-{i}" for i in range(15)]
        tansu.produce(topic, values, partition=partition, batched=batched, keys=["k"] * 15)
        sent += values
    ssc = manual_streaming_context(sc, 1)
    stream = KafkaUtils.createDirectStream(ssc, [topic], params(tansu, client))
    recorder = Recorder(stream)
    ssc.start()
    try:
        advance_batches(ssc, 1)
        for partition in (0, 1):
            values = [f"after-{partition}-{i}" for i in range(12)]
            tansu.produce(topic, values, partition=partition, batched=batched)
            sent += values
        advance_batches(ssc, 2)
    finally:
        ssc.stop(stopSparkContext=False)
    records = recorder.records()
    assert sorted(v for _, v in records) == sorted(sent)
    assert {k for k, v in records if v.startswith("before")} == {"k"}
    assert {k for k, v in records if v.startswith("after")} == {None}
    for partition in (0, 1):
        ranges = [r for batch in recorder.ranges for r in batch if r.partition == partition]
        assert all(isinstance(r, OffsetRange) and r.topic == topic for r in ranges)
        assert [r.fromOffset for r in ranges[1:]] == [r.untilOffset for r in ranges[:-1]]
        assert (ranges[0].fromOffset, ranges[-1].untilOffset) == (0, 27)
    assert sum(r.count() for batch in recorder.ranges for r in batch) == len(sent)


def run_batches(ssc, stream, count, between=None):
    """Start, run ``count`` batches (calling ``between(i)`` before batch i), stop; the records."""
    recorder = Recorder(stream)
    ssc.start()
    try:
        for index in range(count):
            if between is not None:
                between(index)
            advance_batches(ssc, 1)
    finally:
        ssc.stop(stopSparkContext=False)
    return recorder


def test_largest_reset_skips_what_was_there_before_start(tansu, client, sc):
    topic = tansu.create_topic()
    tansu.produce(topic, ["old"] * 5, batched=True)
    ssc = manual_streaming_context(sc, 1)
    stream = KafkaUtils.createDirectStream(
        ssc, [topic], params(tansu, client, **{"auto.offset.reset": "largest"})
    )
    recorder = run_batches(ssc, stream, 2, lambda i: tansu.produce(topic, [f"new{i}"]))
    assert recorder.batches == [[(None, "new0")], [(None, "new1")]]


def test_max_rate_per_partition_bounds_each_batch(tansu, client):
    topic = tansu.create_topic(partitions=2)
    for partition in (0, 1):
        tansu.produce(topic, [str(i) for i in range(10)], partition=partition, batched=True)
    conf = SparkConf().setMaster("local[1]").set("spark.streaming.kafka.maxRatePerPartition", "2")
    with SparkContext(conf=conf) as sc:
        ssc = manual_streaming_context(sc, 2)
        stream = KafkaUtils.createDirectStream(ssc, [topic], params(tansu, client))
        recorder = run_batches(ssc, stream, 3)
    assert [[r.count() for r in batch] for batch in recorder.ranges] == [[4, 4]] * 2 + [[2, 2]]
    assert sorted(int(v) for _, v in recorder.records()) == sorted(list(range(10)) * 2)


def test_partitions_added_later_are_read_from_their_start(tansu, client, sc):
    """Tansu cannot add partitions to a topic, so the (still empty) topic is recreated with
    two partitions between batches: to the stream, a partition appeared."""
    topic = tansu.create_topic(partitions=1)
    ssc = manual_streaming_context(sc, 1)
    stream = KafkaUtils.createDirectStream(ssc, [topic], params(tansu, client))

    def grow(index):
        if index == 1:
            tansu.delete_topic(topic)
            tansu.create_topic(partitions=2, name=topic)
            tansu.produce(topic, ["in-new-partition"], partition=1)
            tansu.produce(topic, ["in-old-partition"], partition=0)

    recorder = run_batches(ssc, stream, 2, grow)
    assert [len(batch) for batch in recorder.ranges] == [1, 2]
    assert sorted(v for _, v in recorder.records()) == ["in-new-partition", "in-old-partition"]


def test_from_offsets_and_message_handler(tansu, client, sc):
    topic = tansu.create_topic(partitions=2)
    tansu.produce(topic, ["a0", "a1", "a2", "a3"], partition=0, batched=True)
    tansu.produce(topic, ["b0", "b1"], partition=1)
    ssc = manual_streaming_context(sc, 1)
    stream = KafkaUtils.createDirectStream(
        ssc,
        [topic],
        params(tansu, client),
        fromOffsets={TopicAndPartition(topic, 0): 2, TopicAndPartition(topic, 1): 1},
        messageHandler=lambda m: (m.topic, m.partition, m.offset, m.message),
    )
    recorder = run_batches(ssc, stream, 1)
    assert sorted(recorder.records()) == [(topic, 0, 2, "a2"), (topic, 0, 3, "a3"), (topic, 1, 1, "b1")]


def test_offsets_committed_to_the_group_after_each_batch(tansu, client, sc):
    from kafka import KafkaConsumer, TopicPartition

    topic = tansu.create_topic()
    tansu.produce(topic, [str(i) for i in range(7)], batched=True)
    group = f"{topic}-group"
    ssc = manual_streaming_context(sc, 1)
    stream = KafkaUtils.createDirectStream(
        ssc, [topic], params(tansu, client, **{"group.id": group, "ember.kafka.commit.offsets": "true"})
    )
    committed = []

    def check_committed(index):
        if index == 1:
            consumer = KafkaConsumer(
                bootstrap_servers=tansu.bootstrap, group_id=group, enable_auto_commit=False
            )
            committed.append(consumer.committed(TopicPartition(topic, 0)))
            consumer.close()
            tansu.produce(topic, ["late"])

    recorder = run_batches(ssc, stream, 2, check_committed)
    assert committed == [7]
    assert len(recorder.records()) == 8


def test_undecodable_value_fails_the_batch_and_names_the_record(tansu, client, sc):
    topic = tansu.create_topic()
    tansu.produce(topic, [b"fine", b"\xff\xfe not utf-8"])
    ssc = manual_streaming_context(sc, 1)
    stream = KafkaUtils.createDirectStream(ssc, [topic], params(tansu, client))
    stream.foreachRDD(lambda rdd: rdd.count())
    first_batch_fails(ssc, DecodeError, rf"value of the record at {topic}-0 offset 1")


def test_a_read_given_up_by_a_failed_task_is_closed_when_the_task_ends(tansu, client):
    """On local[1] the tasks run in this process: after the batch failed, no read is left
    open for the garbage collector to close on whichever thread it runs (which can crash
    librdkafka's client)."""
    topic = tansu.create_topic()
    tansu.produce(topic, [b"fine", b"\xff\xfe not utf-8", b"after"])
    with SparkContext("local[1]", "kafka-closed-reads") as local_sc:
        ssc = manual_streaming_context(local_sc, 1)
        stream = KafkaUtils.createDirectStream(ssc, [topic], params(tansu, client))
        stream.foreachRDD(lambda rdd: rdd.count())
        first_batch_fails(ssc, DecodeError, rf"value of the record at {topic}-0 offset 1")
        assert not [
            reader
            for reader in gc.get_objects()
            if inspect.isgenerator(reader) and reader.gi_code.co_name == "read_offsets" and reader.gi_frame
        ]


def test_raw_bytes_decoder_reads_anything(tansu, client, sc):
    topic = tansu.create_topic()
    tansu.produce(topic, [b"\xff\xfe"])
    ssc = manual_streaming_context(sc, 1)
    stream = KafkaUtils.createDirectStream(ssc, [topic], params(tansu, client), valueDecoder=lambda b: b)
    assert run_batches(ssc, stream, 1).batches == [[(None, b"\xff\xfe")]]


def test_missing_topic_fails_at_start(tansu, client, sc):
    ssc = manual_streaming_context(sc, 1)
    KafkaUtils.createDirectStream(ssc, ["absent-topic"], params(tansu, client)).pprint()
    with pytest.raises(TopicNotFoundError, match="'absent-topic'"):
        ssc.start()
    ssc.stop(stopSparkContext=False)


def test_unreachable_broker_fails_at_start(client, sc):
    ssc = manual_streaming_context(sc, 1)
    address = f"127.0.0.1:{free_port()}"
    KafkaUtils.createDirectStream(
        ssc,
        ["t"],
        {
            "bootstrap.servers": address,
            "ember.kafka.client": client,
            "ember.kafka.connect.timeout.ms": "1000",
        },
    ).pprint()
    with pytest.raises(BrokerUnreachableError, match=address):
        ssc.start()
    ssc.stop(stopSparkContext=False)


def test_broker_outage_mid_stream_delays_records_but_loses_none(own_tansu, client, sc):
    """The broker stops answering (SIGSTOP) for a batch and comes back with its log.  A batch
    that cannot reach the broker is empty; the one that reaches it again (the first after the
    outage, unless the machine is too loaded to connect within the second allowed) has the
    records written meanwhile, once."""
    topic = own_tansu.create_topic()
    own_tansu.produce(topic, ["before"])
    ssc = manual_streaming_context(sc, 1)
    stream = KafkaUtils.createDirectStream(
        ssc, [topic], params(own_tansu, client, **{"ember.kafka.connect.timeout.ms": "1000"})
    )
    recorder = Recorder(stream)
    ssc.start()
    try:
        advance_batches(ssc, 1)
        own_tansu.pause()
        advance_batches(ssc, 1)
        own_tansu.resume()
        own_tansu.produce(topic, ["after"])
        for _ in range(10):
            advance_batches(ssc, 1)
            if recorder.records()[-1:] == [(None, "after")]:
                break
    finally:
        ssc.stop(stopSparkContext=False)
    assert recorder.batches[:2] == [[(None, "before")], []]
    assert recorder.records() == [(None, "before"), (None, "after")]


def test_broker_that_lost_its_log_is_a_clear_error(own_tansu, client, sc):
    """Tansu keeps its log in memory: after a SIGKILL and a restart the stream's topic is
    gone or empty, which must fail the stream rather than go on from a log it never read."""
    topic = own_tansu.create_topic()
    own_tansu.produce(topic, ["a", "b"])
    ssc = manual_streaming_context(sc, 1)
    stream = KafkaUtils.createDirectStream(ssc, [topic], params(own_tansu, client))
    stream.foreachRDD(lambda rdd: rdd.count())
    ssc.start()
    try:
        advance_batches(ssc, 1)
        own_tansu.kill()
        own_tansu.start()
        with pytest.raises((TopicNotFoundError, OffsetOutOfRangeError), match=topic):
            advance_batches(ssc, 1)
    finally:
        ssc.stop(stopSparkContext=False)
