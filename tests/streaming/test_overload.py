"""A socket source faster than the job, with no backpressure and no maxRate: the receiver is
held back at its byte limit, so the driver's memory stays bounded, and ember says so."""

from __future__ import annotations

import logging
import socket
import threading
import time

import pytest

from ember import SparkConf, SparkContext
from ember.plugins.testing import wait_until
from ember.streaming import StreamingContext
from ember.streaming.listener import StreamingListener

LIMIT = 4 << 20
LINE = "x" * 90 + "\n"


def _rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * 4096


class _FloodServer:
    """Accepts one client and writes lines to it as fast as the socket takes them."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        connection, _ = self.listener.accept()
        chunk = (LINE * 10_000).encode()
        with connection:
            while not self._stop.is_set():
                try:
                    connection.sendall(chunk)
                except OSError:
                    return
                self.sent += len(chunk)

    def close(self) -> None:
        self._stop.set()
        self.listener.close()


class _Samples(StreamingListener):
    def __init__(self, stream):
        self.stream = stream
        self.completed = 0
        self.buffered = []

    def onBatchCompleted(self, batchCompleted):
        self.buffered.append(self.stream.buffered_bytes)
        self.completed += 1


@pytest.mark.parametrize("master", ["local[1]", "local[2]"])
def test_an_overloaded_socket_job_keeps_the_receivers_buffer_under_its_limit(caplog, master):
    """With local[2] the receiver runs in a worker process: the driver releases each completed
    batch's bytes there, so the source keeps flowing past the limit, never past it at once."""
    server = _FloodServer()
    conf = SparkConf().set("spark.ember.streaming.receiver.maxBufferedBytes", str(LIMIT))
    sc = SparkContext(master, "overload", conf=conf)
    ssc = StreamingContext(sc, 0.5)
    lines = ssc.socketTextStream("127.0.0.1", server.port)
    samples = _Samples(lines)
    ssc.addStreamingListener(samples)

    def slow_job(rdd):  # the deliberately slow job: far slower than the input
        samples.buffered.append(lines.buffered_bytes)
        rdd.count()
        time.sleep(1.0)

    lines.foreachRDD(slow_job)
    rss_before = _rss_bytes()
    with caplog.at_level(logging.WARNING):
        ssc.start()
        try:
            wait_until(lambda: samples.completed >= 6, 60, "six batches")
            rss_after = _rss_bytes()
        finally:
            ssc.stop(stopSparkContext=True, stopGraceFully=False)
            server.close()
    largest_store = len(LINE) + 100
    assert max(samples.buffered) <= LIMIT + largest_store
    assert lines.tracker.held_back > 0
    if master == "local[1]":  # logged where the receiver runs: here, or in the worker's log
        assert "is held back" in caplog.text
        assert "spark.ember.streaming.receiver.maxBufferedBytes" in caplog.text
    assert server.sent > 2 * LIMIT  # the source kept sending while the job was slow: released
    assert rss_after - rss_before < 150 << 20


def test_a_graceful_stop_drains_for_at_most_its_timeout_and_says_what_it_dropped(caplog):
    conf = SparkConf().set("spark.streaming.gracefulStopTimeout", "1s")
    sc = SparkContext("local[1]", "graceful-stop", conf=conf)
    ssc = StreamingContext(sc, 0.1)
    submitted, ran = [], []

    class _Submitted(StreamingListener):
        def onBatchSubmitted(self, batchSubmitted):
            submitted.append(batchSubmitted)

    ssc.addStreamingListener(_Submitted())
    stream = ssc.queueStream([], default=sc.parallelize(["record"]))

    def slow_job(rdd):  # 0.5 s a batch, every 0.1 s a new batch: the queue grows
        ran.append(rdd.count())
        time.sleep(0.5)

    stream.foreachRDD(slow_job)
    ssc.start()
    wait_until(lambda: len(submitted) - len(ran) >= 8, 30, "eight batches waiting")
    with caplog.at_level(logging.WARNING, logger="ember.streaming"):
        ssc.stop(stopSparkContext=True, stopGraceFully=True)
    assert "Graceful stop timed out after 1000 ms (spark.streaming.gracefulStopTimeout)" in caplog.text
    assert "are dropped" in caplog.text
    assert len(ran) < len(submitted)
