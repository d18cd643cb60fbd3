"""MQTTUtils streams against a real Mosquitto broker on 127.0.0.1, including a job killed with
SIGKILL and recovered from its checkpoint."""

from __future__ import annotations

import pytest
from mosquitto_broker import Mosquitto, Publisher
from stream_batches import Collected
from stream_jobs import TotalsJob, counted_across_a_kill

from ember.plugins.testing import wait_until
from ember.streaming.mqtt import MQTTUtils
from ember_mqtt import MQTTConfigError


@pytest.fixture
def publisher(broker):
    with Publisher(broker) as client:
        yield client


def subscribed(collected: Collected, publisher: Publisher, topic: str, probe: str = "probe"):
    """Publish ``probe`` until the stream shows it: from then on the subscription is live."""

    def seen() -> bool:
        publisher.publish(topic, probe)
        return any(probe in str(record) for record in collected.records)

    wait_until(seen, what=f"the stream to receive {topic!r}")


def probe_through(broker, collected: Collected, topic: str, probe: str, **credentials: str) -> None:
    """``subscribed``, with a publisher of its own."""
    with Publisher(broker, **credentials) as publisher:
        subscribed(collected, publisher, topic, probe)


def test_word_count_over_a_wildcard_topic(ssc, broker, publisher):
    lines = MQTTUtils.createStream(ssc, broker.url, "sensors/+/text")
    counts = lines.flatMap(str.split).map(lambda w: (w, 1)).reduceByKey(lambda a, b: a + b)
    seen = Collected(counts)
    ssc.start()
    subscribed(seen, publisher, "sensors/x/text", "ready")
    publisher.publish("sensors/a/text", "to be or", "not to be")
    publisher.publish("sensors/a/other", "ignored words")
    publisher.publish("sensors/b/text", "é to")
    seen.wait_for(lambda records: sum(n for w, n in records if w != "ready") == 8)
    totals: dict[str, int] = {}
    for word, count in seen.records:
        totals[word] = totals.get(word, 0) + count
    totals.pop("ready")
    assert totals == {"to": 3, "be": 2, "or": 1, "not": 1, "é": 1}


def test_paired_stream_gives_topic_and_payload_for_each_filter(ssc, broker, publisher):
    pairs = MQTTUtils.createPairedStream(ssc, broker.url, ["alerts/#", "metrics/cpu"], qos=0)
    seen = Collected(pairs)
    ssc.start()
    subscribed(seen, publisher, "metrics/cpu")
    publisher.publish("alerts/disk/full", "90%", qos=0)
    publisher.publish("metrics/mem", "not subscribed", qos=0)
    publisher.publish("alerts", "bare", qos=2)
    publisher.publish("metrics/cpu", "42", qos=1)
    seen.wait_for(lambda records: ("metrics/cpu", "42") in records)
    assert [r for r in seen.records if r[1] != "probe"] == [
        ("alerts/disk/full", "90%"),
        ("alerts", "bare"),
        ("metrics/cpu", "42"),
    ]


@pytest.mark.parametrize("version", [3, 5])
def test_other_protocol_versions(ssc, broker, publisher, version):
    pairs = MQTTUtils.createPairedStream(
        ssc, broker.url, ["v/+"], mqttVersion=version, clientId=f"ember-v{version}"
    )
    seen = Collected(pairs)
    ssc.start()
    subscribed(seen, publisher, "v/probe")
    publisher.publish("v/data", f"over MQTT {version}")
    seen.wait_for(lambda records: ("v/data", f"over MQTT {version}") in records)
    # Mosquitto logs each connection's protocol: p1 is MQTT 3.1, p2 3.1.1, p5 5.0
    assert f"as ember-v{version} ({ {3: 'p1', 5: 'p5'}[version] }," in broker.log_tail(100_000)


def test_broker_down_at_start_is_retried_and_restart_mid_stream_loses_nothing_stored(ssc, events, tmp_path):
    broker = Mosquitto(tmp_path)
    seen = Collected(MQTTUtils.createStream(ssc, broker.url, "t"))
    ssc.start()
    wait_until(
        lambda: events.saw("cannot connect to MQTT broker", broker.url.split("//")[1]),
        what="the receiver to report that the broker is unreachable",
    )
    broker.start()
    probe_through(broker, seen, "t", "first")
    broker.stop()
    wait_until(lambda: events.saw("lost the connection"), what="the receiver to notice the broker died")
    broker.start()
    try:
        probe_through(broker, seen, "t", "second")
    finally:
        broker.stop()
    assert "first" in seen.records and seen.records.index("first") < seen.records.index("second")


def test_bad_credentials_are_reported_and_good_ones_work(ssc, events, tmp_path):
    broker = Mosquitto(tmp_path, users={"reader": "s3cret"}).start()
    try:
        MQTTUtils.createStream(ssc, broker.url, "t", username="reader", password="wrong")
        good = Collected(MQTTUtils.createStream(ssc, broker.url, "t", username="reader", password="s3cret"))
        ssc.start()
        wait_until(
            lambda: events.saw("refused the connection", "check the username and password"),
            what="the refused login to be reported",
        )
        assert not any("s3cret" in message or "wrong" in message for message in events.errors)
        probe_through(broker, good, "t", "authorised", username="reader", password="s3cret")
    finally:
        broker.stop()


def test_tls_with_the_brokers_ca_and_without_it(ssc, events, tmp_path):
    broker = Mosquitto(tmp_path, tls=True).start()
    try:
        secure = Collected(
            MQTTUtils.createStream(ssc, broker.tls_url, "t", tls={"ca_certs": str(broker.ca_file)})
        )
        MQTTUtils.createStream(ssc, broker.tls_url, "t")  # the system's CAs do not know the test CA
        ssc.start()
        probe_through(broker, secure, "t", "over tls")
        wait_until(
            lambda: events.saw("cannot connect to MQTT broker", broker.tls_url),
            what="the receiver without the CA to report that it cannot connect",
        )
    finally:
        broker.stop()


@pytest.mark.spark_conf(spark__streaming__receiver__maxRate="2")
@pytest.mark.parametrize("version", [4, 5])
def test_qos1_messages_are_acknowledged_only_once_stored(ssc, broker, publisher, version):
    """A receiver stopped while messages wait to be stored (throttled to 2/s) must not have
    acknowledged them: the broker delivers them again to the same session, none is lost."""
    session = dict(clientId="ember-ack-test", cleanSession=False, qos=1, mqttVersion=version)
    seen = Collected(MQTTUtils.createStream(ssc, broker.url, "acks", **session))
    try:
        ssc.start()
        subscribed(seen, publisher, "acks", "m-0")
        sent = [f"m-{i}" for i in range(1, 21)]
        publisher.publish("acks", *sent)
        seen.wait_for(lambda records: "m-1" in records)
    finally:
        ssc.stop(stopSparkContext=False)
    counted = set(seen.records)
    assert set(sent) - counted, "the throttle should have left messages unstored at the stop"

    again = broker.redelivered_to("ember-ack-test", until=lambda got: set(sent) <= counted | set(got))
    assert set(sent) <= counted | set(again), f"lost: {sorted(set(sent) - counted - set(again))}"


def test_undecodable_payload_is_replaced_and_reported(ssc, events, broker, publisher):
    seen = Collected(MQTTUtils.createStream(ssc, broker.url, "raw"))
    ssc.start()
    subscribed(seen, publisher, "raw")
    publisher.publish("raw", b"ok \xff end")
    seen.wait_for(lambda records: "ok \ufffd end" in records)
    assert events.saw("not UTF-8 at byte 3", "'raw'")


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda ssc: MQTTUtils.createStream(ssc, "tcp://localhost:1883", "a/#/b"),
            "'#' must be a whole level",
        ),
        (
            lambda ssc: MQTTUtils.createStream(ssc, "tcp://localhost:1883", "a/b+"),
            "'+' must be a whole level",
        ),
        (
            lambda ssc: MQTTUtils.createStream(ssc, "http://localhost:1883", "a"),
            "scheme 'http' is not supported",
        ),
        (
            lambda ssc: MQTTUtils.createStream(ssc, "tcp://localhost:1883", "a", qos=3),
            "qos must be 0, 1 or 2",
        ),
        (
            lambda ssc: MQTTUtils.createStream(ssc, "tcp://localhost:1883", "a", cleanSession=False),
            "needs a fixed clientId",
        ),
        (
            lambda ssc: MQTTUtils.createStream(ssc, "tcp://localhost:1883", "a", user="x"),
            "unknown MQTT option",
        ),
        (
            lambda ssc: MQTTUtils.createStream(ssc, "ssl://localhost", "a", tls={"ca_certs": "/no/ca.pem"}),
            "tls ca_certs='/no/ca.pem' is not a readable file",
        ),
        (
            lambda ssc: MQTTUtils.createPairedStream(ssc, "tcp://localhost:1883", "a"),
            "must be a non-empty list",
        ),
    ],
)
def test_configuration_mistakes_are_clear_errors(ssc, call, message):
    with pytest.raises(MQTTConfigError, match=message.replace("+", r"\+")):
        call(ssc)


def test_mqtt_messages_published_around_a_sigkill_are_all_counted(tmp_path, broker, publisher):
    job = TotalsJob(tmp_path, "mqtt", broker.url, "readings").start()
    counted = counted_across_a_kill(
        job,
        lambda batch: publisher.publish("readings", *batch) or True,
        # the job's persistent session exists once a message published now is counted
        ready=lambda: publisher.publish("readings", "probe") or "probe" in job.totals(),
    )
    records = {record: total for record, total in counted.totals.items() if record != "probe"}
    # QoS 1 with the write-ahead log: a message is acknowledged to the broker once it is in the
    # log, so what was counted before the kill is not counted again, and only a message the
    # killed job had logged but not yet acknowledged is delivered (and counted) a second time
    assert set(records) == set(counted.acknowledged)
    assert all(records[record] == total for record, total in counted.at_kill.items() if record != "probe")
    assert all(total in (1, 2) for total in records.values())
