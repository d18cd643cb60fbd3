"""Spark's stateful_network_wordcount example on ember: running word counts with
updateStateByKey, starting from an initial state.

Start a text server first, e.g. ``nc -lk 9999``, then:

    python -m ember run examples/stateful_network_wordcount.py localhost 9999
"""

import sys
import tempfile

from ember import SparkContext
from ember.streaming import StreamingContext


def update_count(new_values, last_count):
    return sum(new_values) + (last_count or 0)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("Usage: stateful_network_wordcount.py <hostname> <port>", file=sys.stderr)
        sys.exit(-1)
    sc = SparkContext(appName="PythonStreamingStatefulNetworkWordCount")
    ssc = StreamingContext(sc, 1)
    ssc.checkpoint(tempfile.mkdtemp(prefix="ember-stateful-wordcount-"))

    initial_state = sc.parallelize([("hello", 1), ("world", 1)])
    lines = ssc.socketTextStream(sys.argv[1], int(sys.argv[2]))
    running_counts = (
        lines.flatMap(lambda line: line.split(" "))
        .map(lambda word: (word, 1))
        .updateStateByKey(update_count, initialRDD=initial_state)
    )
    running_counts.pprint()

    ssc.start()
    ssc.awaitTermination()
