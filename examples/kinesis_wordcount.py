"""Spark's kinesis_wordcount_asl example on ember: count the words of a Kinesis stream's records.

    python -m ember run examples/kinesis_wordcount.py <app-name> <stream-name> <endpoint-url> <region-name>

e.g. ``myApp words https://kinesis.us-east-1.amazonaws.com us-east-1``, or a local kinesalite
(``http://localhost:4567``).  Credentials come from boto3's chain (environment, ~/.aws, roles).
Needs ``pip install ember-kinesis``.
"""

import sys

from ember import SparkContext
from ember.streaming import StreamingContext
from ember.streaming.kinesis import InitialPositionInStream, KinesisUtils

if __name__ == "__main__":
    if len(sys.argv) != 5:
        print(
            "Usage: kinesis_wordcount.py <app-name> <stream-name> <endpoint-url> <region-name>",
            file=sys.stderr,
        )
        sys.exit(-1)
    sc = SparkContext(appName="PythonStreamingKinesisWordCountAsl")
    ssc = StreamingContext(sc, 1)

    appName, streamName, endpointUrl, regionName = sys.argv[1:]
    lines = KinesisUtils.createStream(
        ssc, appName, streamName, endpointUrl, regionName, InitialPositionInStream.LATEST, 2
    )
    counts = (
        lines.flatMap(lambda line: line.split(" "))
        .map(lambda word: (word, 1))
        .reduceByKey(lambda a, b: a + b)
    )
    counts.pprint()

    ssc.start()
    ssc.awaitTermination()
