"""Windowed counts: words of the last 6 seconds, every 2 seconds, with an inverse function,
and the number of lines per window; fed from a queue so it runs anywhere.

    python -m ember run examples/windowed_counts.py
"""

import tempfile
import time

from ember import SparkContext
from ember.streaming import StreamingContext

SENTENCES = ["the quick brown fox", "jumps over the lazy dog", "the dog sleeps"]

if __name__ == "__main__":
    sc = SparkContext(appName="PythonStreamingWindowedCounts")
    ssc = StreamingContext(sc, 1)
    ssc.checkpoint(tempfile.mkdtemp(prefix="ember-windowed-counts-"))

    batches = [sc.parallelize([SENTENCES[i % len(SENTENCES)]] * (i + 1)) for i in range(8)]
    lines = ssc.queueStream(batches)
    pairs = lines.flatMap(lambda line: line.split(" ")).map(lambda word: (word, 1))
    word_counts = pairs.reduceByKeyAndWindow(lambda a, b: a + b, lambda a, b: a - b, 6, 2)
    word_counts.pprint()
    lines.countByWindow(6, 2).pprint()

    ssc.start()
    time.sleep(9)
    ssc.stop(stopSparkContext=True, stopGraceFully=True)
