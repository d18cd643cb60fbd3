"""Receivers on Dask workers: the service runs as a long-running Dask task on a worker (not
in the driver), stores its blocks there and on a second worker, and starts again on another
worker when its own is SIGKILLed, losing no line it stored (write-ahead log on: the scenario
of ``receiver_checks``, which local[N]'s tests walk too).  Batches run on a manual clock; the
log's open segments show what was stored and taken by no batch yet."""

from __future__ import annotations

import os

import pytest
from receiver_checks import (
    LineServer,
    ReceiverStarts,
    ReceiverWorkers,
    check_a_killed_receiver_worker_loses_no_stored_line,
    stored_but_unbatched,
)

from ember import SparkConf, SparkContext
from ember.plugins.testing import wait_until
from ember.testing import advance_batches, collect_outputs, manual_streaming_context


def worker_pids(sc) -> dict[str, int]:
    return sc.executor.client.run(os.getpid)


#: dask-local[2]'s receivers are hosted by Dask workers, named by their addresses
DASK_WORKERS = ReceiverWorkers(
    master="dask-local[2]",
    live_hosts=worker_pids,
    pid_of=lambda sc, host: worker_pids(sc)[host],
    restart_seconds=60,
)


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
    killed = check_a_killed_receiver_worker_loses_no_stored_line(tmp_path, server, DASK_WORKERS)
    assert killed.errors_when_restarted == [
        f"Dask worker {killed.host} (pid {killed.pid}) was lost: restarting the receiver on another worker"
    ]
