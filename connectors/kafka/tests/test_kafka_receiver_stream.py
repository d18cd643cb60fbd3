"""createStream: a consumer-group receiver (one test per client: Tansu's first group join
is slow), and the Spark guide's call with a ZooKeeper address."""

from __future__ import annotations

import time

from ember.streaming.kafka import KafkaUtils
from ember.streaming.listener import StreamingListener
from ember.testing import advance_batches, manual_streaming_context


def committed_offset(broker, group, topic):
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=broker.bootstrap, group_id=group, enable_auto_commit=False)
    try:
        return consumer.committed(TopicPartition(topic, 0))
    finally:
        consumer.close()


def test_receiver_reads_the_group_and_commits_after_batches(tansu, client, sc):
    topic = tansu.create_topic()
    group = f"{topic}-receivers"
    values = [f"word{i % 3} word{i % 5}" for i in range(40)]
    tansu.produce(topic, values[:25], batched=True)
    ssc = manual_streaming_context(sc, 1)
    lines = KafkaUtils.createStream(
        ssc,
        tansu.bootstrap,
        group,
        {topic: 1},
        # Tansu holds a group's first join about twice the session timeout (10 s by default)
        {
            "auto.offset.reset": "smallest",
            "ember.kafka.client": client,
            "session.timeout.ms": "6000",
            "heartbeat.interval.ms": "1000",
        },
    )
    counts = (
        lines.map(lambda kv: kv[1]).flatMap(str.split).map(lambda w: (w, 1)).reduceByKey(lambda a, b: a + b)
    )
    received, totals = [], {}
    lines.foreachRDD(lambda rdd: received.extend(rdd.collect()))
    counts.foreachRDD(lambda rdd: [totals.__setitem__(w, totals.get(w, 0) + n) for w, n in rdd.collect()])
    ssc.start()
    try:
        deadline = time.monotonic() + 90
        while len(received) < 25 and time.monotonic() < deadline:  # the group join is slow
            advance_batches(ssc, 1)
            time.sleep(0.1)
        tansu.produce(topic, values[25:])
        while len(received) < 40 and time.monotonic() < deadline:
            advance_batches(ssc, 1)
            time.sleep(0.1)
        while committed_offset(tansu, group, topic) != 40 and time.monotonic() < deadline:
            advance_batches(ssc, 1)  # the receiver commits between its polls
            time.sleep(0.1)
        assert committed_offset(tansu, group, topic) == 40
    finally:
        ssc.stop(stopSparkContext=False)
    assert sorted(v for _, v in received) == sorted(values)
    expected = {}
    for line in values:
        for word in line.split():
            expected[word] = expected.get(word, 0) + 1
    assert totals == expected


class ReceiverErrors(StreamingListener):
    def __init__(self):
        self.messages = []

    def onReceiverError(self, receiverError):
        self.messages.append(receiverError.receiverInfo().lastErrorMessage())


def test_the_guides_zookeeper_call_runs_and_reports_the_unreachable_brokers(sc):
    ssc = manual_streaming_context(sc, 1)
    errors = ReceiverErrors()
    ssc.addStreamingListener(errors)
    stream = KafkaUtils.createStream(
        ssc,
        "zookeeper:2181",
        "spark-streaming",
        {"topic": 1},
        {"ember.kafka.client": "kafka-python", "ember.kafka.connect.timeout.ms": "300"},
    )
    batches = []
    stream.foreachRDD(lambda rdd: batches.append(rdd.collect()))
    ssc.start()
    try:
        deadline = time.monotonic() + 30
        while not errors.messages and time.monotonic() < deadline:
            time.sleep(0.05)
        advance_batches(ssc, 1)
    finally:
        ssc.stop(stopSparkContext=False)
    assert batches == [[]]
    assert any("cannot reach the Kafka brokers" in m for m in errors.messages)
