"""A batch job for the external-cluster test: word counts of a file, written as JSON, and
where the blocks of its cached RDD live."""

import json
import sys

from ember import SparkContext

if __name__ == "__main__":
    source, target = sys.argv[1], sys.argv[2]
    sc = SparkContext(appName="dask-batch-word-count")
    words = sc.textFile(source, 4).flatMap(str.split).map(lambda word: (word, 1)).cache()
    counts = dict(words.reduceByKey(lambda a, b: a + b).collect())
    workers = sc.executor.blocks_by_worker()
    with open(target, "w") as out:
        json.dump(
            {
                "counts": counts,
                "total": words.count(),
                "parallelism": sc.defaultParallelism,
                "workers_with_blocks": len(workers),
            },
            out,
        )
    sc.stop()
