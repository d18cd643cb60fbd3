"""saveToKafka on a real broker, on both client libraries: what a batch writes is in the topic
once the batch completed, keys and values as given; errors name what went wrong."""

from __future__ import annotations

from kafka_checks import first_batch_fails

from ember.testing import advance_batches, manual_streaming_context
from ember_kafka import BrokerUnreachableError, KafkaConnectorError
from ember_kafka.testing import free_port
from ember_sink_kafka import saveToKafka


def queue_stream(ssc, batches):
    return ssc.queueStream([ssc.sparkContext.parallelize(b, 2) for b in batches])


def test_values_and_pairs_are_in_the_topic_when_the_batch_completes(tansu, client, sc):
    topic = tansu.create_topic()
    ssc = manual_streaming_context(sc, 1)
    batches = [["a", "b", ("k1", "v1")], [(None, "no key"), (b"raw", b"\x00\x01")]]
    saveToKafka(
        queue_stream(ssc, batches),
        topic,
        {"bootstrap.servers": tansu.bootstrap, "ember.kafka.client": client},
    )
    ssc.start()
    try:
        advance_batches(ssc, 1)
        after_first = [(k, v) for _, _, k, v in tansu.read_all(topic)]
        advance_batches(ssc, 1)
    finally:
        ssc.stop(stopSparkContext=False)
    assert sorted(after_first, key=repr) == sorted([(None, b"a"), (None, b"b"), (b"k1", b"v1")], key=repr)
    everything = [(k, v) for _, _, k, v in tansu.read_all(topic)]
    assert sorted(everything, key=repr) == sorted(
        after_first + [(None, b"no key"), (b"raw", b"\x00\x01")], key=repr
    )


def test_a_value_that_cannot_be_encoded_fails_the_batch(tansu, client, sc):
    topic = tansu.create_topic()
    ssc = manual_streaming_context(sc, 1)
    saveToKafka(
        queue_stream(ssc, [[{"not": "text"}]]),
        topic,
        {"bootstrap.servers": tansu.bootstrap, "ember.kafka.client": client},
    )
    first_batch_fails(ssc, KafkaConnectorError, rf"topic '{topic}'.*cannot write dict")


def test_unreachable_broker_fails_the_batch(client, sc):
    address = f"127.0.0.1:{free_port()}"
    ssc = manual_streaming_context(sc, 1)
    saveToKafka(
        queue_stream(ssc, [["x"]]),
        "t",
        {
            "bootstrap.servers": address,
            "ember.kafka.client": client,
            "ember.kafka.connect.timeout.ms": "1000",
            "message.timeout.ms" if client == "confluent" else "request.timeout.ms": "2000",
        },
    )
    first_batch_fails(ssc, BrokerUnreachableError, address)
