"""Ingest figures for the Kinesis and MQTT connectors: records per second into a word count.

For each source, ember's stream (``KinesisUtils.createStream`` / ``MQTTUtils.createStream``,
``flatMap``-``map``-``reduceByKey``, every batch's counts collected) is timed against one
Python process doing the same counting in a plain client loop (boto3 ``get_records`` /
a paho subscriber).  Servers are started here on free loopback ports: kinesalite from
``connectors/kinesis/tests/node_modules`` (``npm ci`` there) and ``mosquitto``.  Not part of tests.

    python -m bench.ingest_streams [--records 20000] [--master local[2]] [--only kinesis|mqtt]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from ember.plugins.testing import ServerProcess, free_port

ROOT = Path(__file__).resolve().parent.parent
KINESALITE = ROOT / "connectors" / "kinesis" / "tests" / "node_modules" / ".bin" / "kinesalite"
WORDS = [f"word{i}" for i in range(200)]
CREDENTIALS = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench"}


def lines(count: int, seed: int = 7) -> list[str]:
    pick = random.Random(seed).choices
    return [" ".join(pick(WORDS, k=8)) for _ in range(count)]


def count_words(counts: Counter, line: str) -> None:
    for word in line.split(" "):
        counts[word] += 1


def ember_word_count(make_stream, expected_words: int, master: str, feed=None) -> float:
    """Seconds from ``ssc.start()`` (or from when ``feed()``, which sends the records, says it
    began) until ember has counted ``expected_words`` words."""
    from ember import SparkContext
    from ember.streaming import StreamingContext

    sc = SparkContext(master, "ingest-bench")
    sc.parallelize(range(4), 2).count()  # the worker pool is up before the clock starts, as
    # the client loop's client is (bench.kafka_wordcount does the same)
    ssc = StreamingContext(sc, 0.5)
    counted = [0]
    done = threading.Event()

    def add_batch(rdd) -> None:
        counted[0] += sum(count for _, count in rdd.collect())
        if counted[0] >= expected_words:
            done.set()

    (
        make_stream(ssc)
        .flatMap(lambda line: line.split(" "))
        .map(lambda w: (w, 1))
        .reduceByKey(lambda a, b: a + b)
        .foreachRDD(add_batch)
    )
    ssc.start()
    start = time.perf_counter() if feed is None else feed()
    if not done.wait(600):
        raise RuntimeError(f"ember counted {counted[0]} of {expected_words} words")
    elapsed = time.perf_counter() - start
    ssc.stop(stopSparkContext=True)
    return elapsed


def bench_kinesis(records: int, master: str, workdir: str) -> dict:
    import boto3

    from ember.streaming.kinesis import InitialPositionInStream, KinesisUtils

    port = free_port()
    server = ServerProcess(
        "kinesalite", [KINESALITE, "--port", str(port), "--createStreamMs", "0"], port, Path(workdir)
    ).start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        client = boto3.client("kinesis", endpoint_url=endpoint, region_name="us-east-1", **CREDENTIALS)
        client.create_stream(StreamName="bench", ShardCount=2)
        data = lines(records)
        for start in range(0, records, 500):
            chunk = enumerate(data[start : start + 500], start)
            client.put_records(
                StreamName="bench",
                Records=[{"Data": line.encode(), "PartitionKey": str(number)} for number, line in chunk],
            )

        start = time.perf_counter()
        counts: Counter = Counter()
        for shard in client.list_shards(StreamName="bench")["Shards"]:
            iterator = client.get_shard_iterator(
                StreamName="bench", ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            while iterator:
                answer = client.get_records(ShardIterator=iterator, Limit=10000)
                for record in answer["Records"]:
                    count_words(counts, record["Data"].decode())
                iterator = (
                    None
                    if answer.get("MillisBehindLatest") == 0 and not answer["Records"]
                    else answer.get("NextShardIterator")
                )
        loop_s = time.perf_counter() - start

        ember_s = ember_word_count(
            lambda ssc: KinesisUtils.createStream(
                ssc,
                "bench",
                "bench",
                endpoint,
                "us-east-1",
                InitialPositionInStream.TRIM_HORIZON,
                2,
                awsAccessKeyId="bench",
                awsSecretKey="bench",
            ),
            sum(counts.values()),
            master,
        )
    finally:
        server.kill()
    return {
        "records": records,
        "ember_records_per_s": records / ember_s,
        "loop_records_per_s": records / loop_s,
    }


def bench_mqtt(records: int, master: str, workdir: str) -> dict:
    import paho.mqtt.client as mqtt

    from ember.streaming.mqtt import MQTTUtils

    port = free_port()
    config = Path(workdir) / "mosquitto.conf"
    config.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\n")
    server = ServerProcess(
        "mosquitto", [shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c", config], port, Path(workdir)
    ).start()
    data = lines(records)
    expected = sum(len(line.split(" ")) for line in data)

    def publish_all() -> None:
        publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        publisher.max_inflight_messages_set(1000)
        publisher.connect("127.0.0.1", port)
        publisher.loop_start()
        infos = [publisher.publish("bench", line, qos=1) for line in data]
        for info in infos:
            info.wait_for_publish(60)
        publisher.disconnect()
        publisher.loop_stop()

    try:
        counts: Counter = Counter()
        received_messages = [0]
        done = threading.Event()

        def received(client, userdata, message) -> None:
            count_words(counts, message.payload.decode())
            received_messages[0] += 1
            if received_messages[0] == records:
                done.set()

        subscriber = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        subscriber.on_message = received
        subscriber.connect("127.0.0.1", port)
        subscriber.subscribe("bench", qos=1)
        subscriber.loop_start()
        time.sleep(0.5)  # the subscription reaches the broker before the first publish
        start = time.perf_counter()
        publish_all()
        done.wait(600)
        loop_s = time.perf_counter() - start
        subscriber.disconnect()
        subscriber.loop_stop()

        def feed() -> float:
            time.sleep(2)  # the receiver connects and subscribes
            began = time.perf_counter()
            publish_all()
            return began

        ember_s = ember_word_count(
            lambda ssc: MQTTUtils.createStream(ssc, f"tcp://127.0.0.1:{port}", "bench"),
            expected,
            master,
            feed,
        )
    finally:
        server.kill()
    return {
        "records": records,
        "ember_records_per_s": records / ember_s,
        "loop_records_per_s": records / loop_s,
        "note": "both from the first publish (QoS 1) to the last word counted",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--only", choices=["kinesis", "mqtt"])
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="ember-ingest-") as workdir:
        for name, bench in (("kinesis", bench_kinesis), ("mqtt", bench_mqtt)):
            if args.only in (None, name):
                results[name] = bench(args.records, args.master, workdir)
                print(name, json.dumps(results[name]), flush=True)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "ingest_streams.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
