"""Spark's mqtt_wordcount example on ember: count the words of the messages on an MQTT topic.

Start a broker (e.g. ``mosquitto -p 1883``), then:

    python -m ember run examples/mqtt_wordcount.py tcp://localhost:1883 foo

and publish, e.g. ``mosquitto_pub -t foo -m "hello hello world"``.  Needs ``pip install ember-mqtt``.
"""

import sys

from ember import SparkContext
from ember.streaming import StreamingContext
from ember.streaming.mqtt import MQTTUtils

if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("Usage: mqtt_wordcount.py <broker url> <topic>", file=sys.stderr)
        sys.exit(-1)
    sc = SparkContext(appName="PythonStreamingMQTTWordCount")
    ssc = StreamingContext(sc, 1)

    brokerUrl, topic = sys.argv[1:]
    lines = MQTTUtils.createStream(ssc, brokerUrl, topic)
    counts = (
        lines.flatMap(lambda line: line.split(" "))
        .map(lambda word: (word, 1))
        .reduceByKey(lambda a, b: a + b)
    )
    counts.pprint()

    ssc.start()
    ssc.awaitTermination()
