"""Executor-level measurements without the streaming layer: one big job, and empty jobs."""

from __future__ import annotations

import time

from bench.functions import add, split_line, to_pair


def measure(api, master: str, lines: list[str], empty_jobs: int) -> dict:
    sc = api.SparkContext(master, "bench-rdd")
    sc.setLogLevel("ERROR")
    start = time.perf_counter()
    distinct = sc.parallelize(lines).flatMap(split_line).map(to_pair).reduceByKey(add).count()
    word_count_s = time.perf_counter() - start
    sc.parallelize([], 2).count()
    start = time.perf_counter()
    for _ in range(empty_jobs):
        sc.parallelize([], 2).count()
    empty_ms = (time.perf_counter() - start) / empty_jobs * 1000
    return {
        "lines_per_s": len(lines) / word_count_s,
        "outputs": [distinct],
        "empty_job_ms": empty_ms,
        "sc": sc,
    }
