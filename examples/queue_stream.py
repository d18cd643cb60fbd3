"""Spark's queue_stream example on ember: RDDs pushed into a queue become a DStream.

python -m ember run examples/queue_stream.py
"""

import time

from ember import SparkContext
from ember.streaming import StreamingContext

if __name__ == "__main__":
    sc = SparkContext(appName="PythonStreamingQueueStream")
    ssc = StreamingContext(sc, 1)

    # Five RDDs of the numbers 1..1000, one consumed per batch.
    rdd_queue = [ssc.sparkContext.parallelize(range(1, 1001), 10) for _ in range(5)]

    stream = ssc.queueStream(rdd_queue)
    remainders = stream.map(lambda x: (x % 10, 1)).reduceByKey(lambda a, b: a + b)
    remainders.pprint()

    ssc.start()
    time.sleep(6)
    ssc.stop(stopSparkContext=True, stopGraceFully=True)
