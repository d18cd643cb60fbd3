"""Spark's recoverable_network_wordcount example on ember: word counts of a text socket
that survive a crash of the driver.

The first run builds the context in ``create_context``; after the job is killed, the next run
finds the checkpoint, calls ``create_context`` again to rebuild the same graph and restores
the job's progress into it (ember's checkpoints hold data, never code). Broadcast variables and
accumulators are not checkpointed, so they are created lazily, once per process, through the
two ``get_...`` helpers: the pattern Spark's guide recommends.

Start a text server first, e.g. ``nc -lk 9999``, then:

    python -m ember run examples/recoverable_network_wordcount.py localhost 9999 CHECKPOINT_DIR OUTPUT_FILE

Kill it (Ctrl-C, or kill -9) and run the same command again: it goes on from its checkpoint.
"""

import os
import sys
from operator import add

from ember import SparkContext
from ember.streaming import StreamingContext

_excluded_words = None
_dropped_words = None


def get_excluded_words(sc):
    """The broadcast list of words not to count, made once per process."""
    global _excluded_words
    if _excluded_words is None:
        _excluded_words = sc.broadcast(["a", "b", "c"])
    return _excluded_words


def get_dropped_words_counter(sc):
    """The accumulator of words left out, made once per process."""
    global _dropped_words
    if _dropped_words is None:
        _dropped_words = sc.accumulator(0)
    return _dropped_words


def create_context(host, port, output_path):
    # Unlike Spark, ember calls this on every start: a recovery rebuilds the same graph here.
    print("Building the streaming graph")
    sc = SparkContext(appName="PythonStreamingRecoverableNetworkWordCount")
    ssc = StreamingContext(sc, 1)

    lines = ssc.socketTextStream(host, port)
    word_counts = lines.flatMap(lambda line: line.split(" ")).map(lambda word: (word, 1)).reduceByKey(add)

    def report(time, rdd):
        excluded = get_excluded_words(rdd.context)
        dropped = get_dropped_words_counter(rdd.context)

        def keep(word_count):
            if word_count[0] in excluded.value:
                dropped.add(word_count[1])
                return False
            return True

        counts = f"Counts at time {time} {rdd.filter(keep).collect()}"
        print(counts)
        print(f"Dropped {dropped.value} word(s) totally")
        print("Appending to " + os.path.abspath(output_path))
        with open(output_path, "a") as output:
            output.write(counts + "\n")

    word_counts.foreachRDD(report)
    return ssc


if __name__ == "__main__":
    if len(sys.argv) != 5:
        print(
            "Usage: recoverable_network_wordcount.py <hostname> <port> <checkpoint-directory> "
            "<output-file>",
            file=sys.stderr,
        )
        sys.exit(-1)
    host, port, checkpoint, output = sys.argv[1:]
    if not os.path.isdir(checkpoint) and os.path.exists(output):
        os.remove(output)  # a first run starts a new output file; a recovery appends to it
    ssc = StreamingContext.getOrCreate(checkpoint, lambda: create_context(host, int(port), output))
    ssc.start()
    ssc.awaitTermination()
