"""The workloads as DStream programs, run unchanged on ember and on PySpark.

Each function takes ``api`` (the SparkContext, StreamingContext and StreamingListener of one
engine) and a master URL, builds the job PySpark's way and reports what the listener saw.
W1 reads a local TCP socket (``socketTextStream``, the ember-socket connector on ember) served
by ``bench.serve``; the others feed ``queueStream``.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import threading
import time
from types import SimpleNamespace

from bench.functions import add, positive, split_line, subtract, to_pair, update_count


def load_api(engine: str) -> SimpleNamespace:
    if engine == "pyspark":
        from pyspark import SparkContext
        from pyspark.streaming import StreamingContext
        from pyspark.streaming.listener import StreamingListener
    else:
        from ember import SparkContext
        from ember.streaming import StreamingContext
        from ember.streaming.listener import StreamingListener
    return SimpleNamespace(
        SparkContext=SparkContext,
        StreamingContext=StreamingContext,
        StreamingListener=StreamingListener,
        engine=engine,
    )


def _listener(api):
    class BatchTimes(api.StreamingListener):
        """Collects (scheduling delay ms, processing delay ms) of every completed batch."""

        def __init__(self):
            self.batches: list[tuple[float, float]] = []
            self.records = 0
            self.changed = threading.Condition()

        def onBatchCompleted(self, batchCompleted):
            info = batchCompleted.batchInfo()
            with self.changed:
                self.batches.append((info.schedulingDelay(), info.processingDelay()))
                self.records += info.numRecords()
                self.changed.notify_all()

        def wait_for_records(self, count: int, timeout: float = 600) -> None:
            with self.changed:
                if not self.changed.wait_for(lambda: self.records >= count, timeout):
                    raise TimeoutError(f"only {self.records} of {count} records were processed")

        def wait_for(self, count: int, timeout: float = 600) -> None:
            with self.changed:
                if not self.changed.wait_for(lambda: len(self.batches) >= count, timeout):
                    raise TimeoutError(f"only {len(self.batches)} of {count} batches completed")

    return BatchTimes()


def _context(api, master: str, name: str, interval: float):
    sc = api.SparkContext(master, name)
    sc.setLogLevel("ERROR")
    ssc = api.StreamingContext(sc, interval)
    listener = _listener(api)
    ssc.addStreamingListener(listener)
    return sc, ssc, listener


def w1(api, master: str, corpus_lines: int, interval: float) -> dict:
    """Word count over a socket: lines/s from start() until every line was processed."""
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.serve", str(corpus_lines)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    port = int(server.stdout.readline())
    sc, ssc, listener = _context(api, master, "bench-w1", interval)
    totals: list[int] = []
    counts = ssc.socketTextStream("127.0.0.1", port).flatMap(split_line).map(to_pair).reduceByKey(add)
    counts.foreachRDD(lambda rdd: totals.append(rdd.values().sum() if not rdd.isEmpty() else 0))
    start = time.perf_counter()
    ssc.start()
    listener.wait_for_records(corpus_lines)
    elapsed = time.perf_counter() - start
    server.stdin.close()
    server.wait()
    processing = sum(p for _, p in listener.batches if p) / 1000
    return {
        "lines_per_s": corpus_lines / elapsed,
        "processing_lines_per_s": corpus_lines / processing,
        "batches": len(listener.batches),
        "outputs": [sum(totals)],
        "ssc": ssc,
    }


def w2(api, master: str, batches: list[list[str]], empty_batches: int, interval: float = 0.5) -> dict:
    """updateStateByKey word counts at a 0.5 s interval, then batches with no new data."""
    sc, ssc, listener = _context(api, master, "bench-w2", interval)
    ssc.checkpoint(tempfile.mkdtemp(prefix="bench-w2-"))
    rdds = [sc.parallelize(batch) for batch in batches]
    outputs: list[int] = []
    state = (
        ssc.queueStream(rdds, default=sc.parallelize([], 2))
        .flatMap(split_line)
        .map(to_pair)
        .updateStateByKey(update_count)
    )
    state.foreachRDD(lambda rdd: outputs.append(rdd.count()))
    ssc.start()
    total = len(batches) + empty_batches
    listener.wait_for(total)
    delays = listener.batches[:total]
    return {
        "batch_ms": [p for _, p in delays[: len(batches)]],
        "empty_ms": [p for _, p in delays[len(batches) :]],
        "max_scheduling_delay_ms": max(s for s, _ in delays),
        "outputs": outputs[:total],
        "ssc": ssc,
    }


def w3(api, master: str, batches: list[list[str]], window: int, interval: float) -> dict:
    """reduceByKeyAndWindow(add, subtract) over ``window`` batches, sliding by one batch."""
    sc, ssc, listener = _context(api, master, "bench-w3", interval)
    ssc.checkpoint(tempfile.mkdtemp(prefix="bench-w3-"))
    rdds = [sc.parallelize(batch) for batch in batches]
    outputs: list[int] = []
    windowed = (
        ssc.queueStream(rdds)
        .flatMap(split_line)
        .map(to_pair)
        .reduceByKeyAndWindow(add, subtract, window * interval, interval, filterFunc=positive)
    )
    windowed.foreachRDD(lambda rdd: outputs.append(rdd.count()))
    ssc.start()
    listener.wait_for(len(batches))
    batch_ms = [p for _, p in listener.batches[: len(batches)]]
    return {
        "batch_ms": batch_ms,
        "full_window_ms": batch_ms[window:],
        "max_scheduling_delay_ms": max(s for s, _ in listener.batches[: len(batches)]),
        "outputs": outputs[: len(batches)],
        "ssc": ssc,
    }


def latency(api, master: str, small_batch: list[str], intervals: list[float], seconds: float) -> dict:
    """The empty batch's processing time, and the smallest interval whose delay stays bounded."""
    sc, ssc, listener = _context(api, master, "bench-latency", 0.1)
    empty = [sc.parallelize([], 2) for _ in range(40)]
    ssc.queueStream(empty).flatMap(split_line).map(to_pair).reduceByKey(add).foreachRDD(
        lambda rdd: rdd.count()
    )
    ssc.start()
    listener.wait_for(len(empty))
    empty_ms = statistics.mean(p for _, p in listener.batches[5 : len(empty)])
    ssc.stop(stopSparkContext=False)
    sustained = {}
    for interval in intervals:
        count = max(10, int(seconds / interval))
        ssc = api.StreamingContext(sc, interval)
        listener = _listener(api)
        ssc.addStreamingListener(listener)
        rdds = [sc.parallelize(small_batch) for _ in range(count)]
        ssc.queueStream(rdds).flatMap(split_line).map(to_pair).reduceByKey(add).foreachRDD(
            lambda rdd: rdd.count()
        )
        ssc.start()
        listener.wait_for(count, timeout=seconds * 20 + 60)
        ssc.stop(stopSparkContext=False)
        last = [s for s, _ in listener.batches[count // 2 : count]]
        # bounded: the second half's scheduling delay neither exceeds two intervals nor grows
        sustained[interval] = max(last) <= 2 * interval * 1000 + 5
    keeping_up = [i for i, ok in sustained.items() if ok]
    return {
        "empty_batch_ms": empty_ms,
        "sustained": sustained,
        "smallest_interval_s": min(keeping_up) if keeping_up else None,
        "sc": sc,
    }
