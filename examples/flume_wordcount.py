"""Spark's flume_wordcount example on ember: count the words of the events a Flume agent sends.

Start the job, then point a Flume agent's Avro sink at it
(``agent.sinks.k1.type = avro``, ``hostname = localhost``, ``port = 4141``):

    python -m ember run examples/flume_wordcount.py localhost 4141

Needs ``pip install ember-flume``.  With ``compression-type = deflate`` on the sink, pass
``enableDecompression=True`` to ``createStream``.
"""

import sys

from ember import SparkContext
from ember.streaming import StreamingContext
from ember.streaming.flume import FlumeUtils

if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("Usage: flume_wordcount.py <hostname> <port>", file=sys.stderr)
        sys.exit(-1)
    sc = SparkContext(appName="PythonStreamingFlumeWordCount")
    ssc = StreamingContext(sc, 1)

    hostname, port = sys.argv[1:]
    events = FlumeUtils.createStream(ssc, hostname, int(port))
    counts = (
        events.map(lambda event: event[1])
        .flatMap(lambda body: body.split(" "))
        .map(lambda word: (word, 1))
        .reduceByKey(lambda a, b: a + b)
    )
    counts.pprint()

    ssc.start()
    ssc.awaitTermination()
