"""Receivers on Dask workers: the service runs as a long-running Dask task on a worker (not
in the driver), stores its blocks there and on a second worker, and starts again on another
worker when its own is SIGKILLed, losing no line it stored (write-ahead log on).  Batches run
on a manual clock; the log's open segments show what was stored and taken by no batch yet."""

from __future__ import annotations

import os
import signal

import pytest
from receiver_checks import LineServer, ReceiverStarts, stored_but_unbatched

from ember import SparkConf, SparkContext
from ember.plugins.testing import wait_until
from ember.testing import advance_batches, collect_outputs, manual_streaming_context


def worker_pids(sc) -> dict[str, int]:
    return sc.executor.client.run(os.getpid)


@pytest.fixture
def server():
    served = LineServer()
    yield served
    served.close()


def logged_conf() -> SparkConf:
    return SparkConf().set("spark.streaming.receiver.writeAheadLog.enable", "true")


def test_a_receiver_runs_on_a_dask_worker_and_its_blocks_are_kept_on_two(tmp_path, server):
    sc = SparkContext("dask-local[2]", "dask-receiver", conf=logged_conf())
    try:
        ssc = manual_streaming_context(sc, 1, str(tmp_path / "checkpoint"))
        starts = ReceiverStarts()
        ssc.addStreamingListener(starts)
        records_by_worker: list[list[int]] = []
        lines = ssc.socketTextStream("127.0.0.1", server.port)
        lines.foreachRDD(
            lambda rdd: records_by_worker.append(
                sorted(records for _, records, _ in sc.executor.blocks_by_worker().values())
            )
        )
        outputs = collect_outputs(lines.map(str.upper))
        ssc.start()
        wait_until(lambda: server.connections and starts.executors, what="the receiver to connect")
        assert starts.executors[0] in worker_pids(sc)  # a Dask worker's address, not "driver"
        server.send(["a", "b", "c"])
        log = str(tmp_path / "checkpoint" / "receivedData" / "0")
        wait_until(lambda: len(stored_but_unbatched(log)) == 3, what="3 lines stored")
        advance_batches(ssc, 1)
        ssc.stop(stopSparkContext=False)
        assert outputs == [["A", "B", "C"]]
        assert records_by_worker == [[3, 3]]  # the block on the receiver's worker, a copy on the other
    finally:
        sc.stop()


def test_a_receiver_leaves_the_only_task_slot_to_the_tasks(tmp_path, server):
    """One worker of one thread: the batch's tasks run beside the receiver."""
    sc = SparkContext("dask-local[1]", "dask-receiver-one-slot", conf=logged_conf())
    try:
        ssc = manual_streaming_context(sc, 1, str(tmp_path / "checkpoint"))
        counts = collect_outputs(
            ssc.socketTextStream("127.0.0.1", server.port)
            .map(lambda line: (line, 1))
            .reduceByKey(lambda a, b: a + b)
        )
        ssc.start()
        wait_until(lambda: server.connections, what="the receiver to connect")
        server.send(["x", "y", "x"])
        log = str(tmp_path / "checkpoint" / "receivedData" / "0")
        wait_until(lambda: len(stored_but_unbatched(log)) == 3, what="3 lines stored")
        advance_batches(ssc, 1)
        ssc.stop(stopSparkContext=False)
        assert [sorted(batch) for batch in counts] == [[("x", 2), ("y", 1)]]
    finally:
        sc.stop()


def test_killing_the_receivers_dask_worker_loses_no_stored_line(tmp_path, server):
    conf = logged_conf().set("spark.streaming.receiverRestartDelay", "100")
    sc = SparkContext("dask-local[2]", "dask-receiver-worker-loss", conf=conf)
    try:
        ssc = manual_streaming_context(sc, 1, str(tmp_path / "checkpoint"))
        starts = ReceiverStarts()
        ssc.addStreamingListener(starts)
        outputs = collect_outputs(ssc.socketTextStream("127.0.0.1", server.port))
        log = str(tmp_path / "checkpoint" / "receivedData" / "0")
        ssc.start()

        wait_until(lambda: server.connections and starts.executors, what="the receiver to connect")
        first_host = starts.executors[0]
        first_pid = worker_pids(sc)[first_host]
        server.send([f"a{i}" for i in range(100)])
        wait_until(lambda: len(stored_but_unbatched(log)) == 100, what="100 lines stored")
        advance_batches(ssc, 1)

        server.send([f"b{i}" for i in range(100)])
        wait_until(lambda: len(stored_but_unbatched(log)) == 100, what="100 more lines stored")
        os.kill(first_pid, signal.SIGKILL)

        wait_until(
            lambda: len(server.connections) == 2 and len(starts.executors) == 2,
            timeout=60,
            what="the receiver to start again and reconnect",
        )
        second_host = starts.executors[-1]
        assert second_host != first_host and second_host in worker_pids(sc)
        assert starts.errors == [
            f"Dask worker {first_host} (pid {first_pid}) was lost: restarting the receiver on another worker"
        ]
        server.send([f"c{i}" for i in range(100)])
        wait_until(lambda: len(stored_but_unbatched(log)) == 200, what="the lines stored again")
        advance_batches(ssc, 2)
        ssc.stop(stopSparkContext=False)

        assert [len(batch) for batch in outputs] == [100, 200, 0]
        assert sorted(outputs[0]) == sorted(f"a{i}" for i in range(100))
        assert sorted(outputs[1]) == sorted([f"b{i}" for i in range(100)] + [f"c{i}" for i in range(100)])
    finally:
        sc.stop()
