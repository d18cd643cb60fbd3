"""The start-up probe: the smallest streaming job, run as its own process.

``python bench/minimal_job.py ENGINE MASTER``: prints the first batch with pprint, then a JSON
line with how long ``stop()`` took.  bench/run.py times launch to the first printed line.
"""

import json
import sys
import threading
import time

engine, master = sys.argv[1], sys.argv[2]
if engine == "pyspark":
    from pyspark import SparkContext
    from pyspark.streaming import StreamingContext
else:
    from ember import SparkContext
    from ember.streaming import StreamingContext

sc = SparkContext(master, "bench-startup")
sc.setLogLevel("ERROR")
ssc = StreamingContext(sc, 0.1)
first_batch = threading.Event()
stream = ssc.queueStream([sc.parallelize([1, 2, 3])])
stream.pprint()
stream.foreachRDD(lambda rdd: first_batch.set())
ssc.start()
first_batch.wait()
started = time.perf_counter()
ssc.stop(stopSparkContext=True)
print(json.dumps({"stop_s": time.perf_counter() - started}), flush=True)
