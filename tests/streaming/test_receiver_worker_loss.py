"""Receivers run in the worker processes of local[N] and survive the loss of their worker.

A socket receiver (write-ahead log on) stores lines in the worker the executor put it in; the
test kills that worker with SIGKILL while stored lines wait for their batch.  The receiver
must start again on another worker, and every line it had stored must be in exactly one
batch.  Batches run on a manual clock, and the log's open segments show what was stored.
"""

from __future__ import annotations

import os
import signal
from contextlib import contextmanager

import pytest
from receiver_checks import LineServer, ReceiverStarts, stored_but_unbatched

from ember import SparkConf, SparkContext
from ember.plugins.testing import wait_until
from ember.testing import advance_batches, collect_outputs, manual_streaming_context


@pytest.fixture
def server():
    served = LineServer()
    yield served
    served.close()


@contextmanager
def logged_receiver_job(tmp_path, server: LineServer, listener: ReceiverStarts, settings: dict[str, str]):
    """A local[2] job on a manual clock collecting ``server``'s lines with the write-ahead log
    on, started, and its receiver connected: yields the context, the outputs and the log's
    directory."""
    conf = SparkConf().set("spark.streaming.receiver.writeAheadLog.enable", "true")
    for key, value in settings.items():
        conf.set(key, value)
    sc = SparkContext("local[2]", "receiver-worker-loss", conf=conf)
    try:
        ssc = manual_streaming_context(sc, 1, str(tmp_path / "checkpoint"))
        ssc.addStreamingListener(listener)
        outputs = collect_outputs(ssc.socketTextStream("127.0.0.1", server.port))
        ssc.start()
        wait_until(lambda: server.connections and listener.executors, what="the receiver to connect")
        yield sc, ssc, outputs, str(tmp_path / "checkpoint" / "receivedData" / "0")
    finally:
        sc.stop()


def test_killing_the_receivers_worker_loses_no_stored_line(tmp_path, server):
    starts = ReceiverStarts()
    settings = {"spark.streaming.receiverRestartDelay": "100"}
    with logged_receiver_job(tmp_path, server, starts, settings) as (sc, ssc, outputs, log):
        first_host = int(starts.executors[0])
        assert first_host in sc.executor.worker_pids  # in a worker, not in the driver
        server.send([f"a{i}" for i in range(100)])
        wait_until(lambda: len(stored_but_unbatched(log)) == 100, what="100 lines stored")
        advance_batches(ssc, 1)

        server.send([f"b{i}" for i in range(100)])
        wait_until(lambda: len(stored_but_unbatched(log)) == 100, what="100 more lines stored")
        os.kill(first_host, signal.SIGKILL)

        wait_until(
            lambda: len(server.connections) == 2 and len(starts.executors) == 2,
            timeout=30,
            what="the receiver to start again and reconnect",
        )
        second_host = int(starts.executors[-1])
        assert second_host != first_host and second_host in sc.executor.worker_pids
        server.send([f"c{i}" for i in range(100)])
        wait_until(lambda: len(stored_but_unbatched(log)) == 200, what="the lines stored again")
        advance_batches(ssc, 2)
        ssc.stop(stopSparkContext=False)

        assert [len(batch) for batch in outputs] == [100, 200, 0]
        assert sorted(outputs[0]) == sorted(f"a{i}" for i in range(100))
        assert sorted(outputs[1]) == sorted([f"b{i}" for i in range(100)] + [f"c{i}" for i in range(100)])


def test_a_batch_whose_receiver_does_not_answer_goes_on_without_it_and_loses_nothing(tmp_path, server):
    """The receiver's worker is stopped (SIGSTOP) with lines stored: the batch waits only
    takeTimeout for its blocks, says so, and the lines come with the next batch."""
    events = ReceiverStarts()
    settings = {"spark.ember.streaming.receiver.takeTimeout": "1s"}
    with logged_receiver_job(tmp_path, server, events, settings) as (_, ssc, outputs, log):
        host = int(events.executors[0])
        server.send([f"a{i}" for i in range(100)])
        wait_until(lambda: len(stored_but_unbatched(log)) == 100, what="100 lines stored")
        os.kill(host, signal.SIGSTOP)
        try:
            advance_batches(ssc, 1)
        finally:
            os.kill(host, signal.SIGCONT)
        advance_batches(ssc, 1)
        ssc.stop(stopSparkContext=False)

        assert [sorted(batch) for batch in outputs] == [[], sorted(f"a{i}" for i in range(100))]
        [message] = [m for m in events.errors if "did not say within 1000 ms" in m]
        assert "spark.ember.streaming.receiver.takeTimeout" in message and "joins the next batch" in message
