"""The chaos test's job: word counts of a watched directory, recoverable with getOrCreate.

    python file_wordcount.py INPUT_DIR CHECKPOINT_DIR OUTPUT_DIR BATCH_SECONDS

Every batch it saves the running totals (updateStateByKey, ``OUTPUT_DIR/totals-<ms>``) and
the counts of a window of five batches kept with an inverse function (``window-<ms>``).
Both stateful streams save their state every five batches, so a recovery replays at most
that many batches of state (the default would be every 10 s).
"""

import operator
import sys

from ember import SparkContext
from ember.streaming import StreamingContext

input_dir, checkpoint_dir, output_dir = sys.argv[1:4]
batch_seconds = float(sys.argv[4])


def add_to_total(new_values, total):
    return sum(new_values) + (total or 0)


def setup():
    sc = SparkContext("local[1]", "chaos-wordcount")
    ssc = StreamingContext(sc, batch_seconds)
    ssc.checkpoint(checkpoint_dir)
    pairs = ssc.textFileStream(input_dir).flatMap(str.split).map(lambda word: (word, 1))
    totals = pairs.updateStateByKey(add_to_total).checkpoint(5 * batch_seconds)
    windowed = pairs.reduceByKeyAndWindow(operator.add, operator.sub, 5 * batch_seconds, batch_seconds)
    windowed.checkpoint(5 * batch_seconds)
    totals.saveAsTextFiles(f"{output_dir}/totals")
    windowed.saveAsTextFiles(f"{output_dir}/window")
    return ssc


ssc = StreamingContext.getOrCreate(checkpoint_dir, setup)
ssc.start()
ssc.awaitTermination()
