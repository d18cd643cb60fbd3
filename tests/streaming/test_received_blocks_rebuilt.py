"""Received blocks lost before their batch read them: rebuilt from the write-ahead log, each
with the very records it held, or (log off) a batch failure that says so.

On local[2] blocks live in shared memory and survive a worker's death, so the test removes a
batch's received blocks from the executor's real store after the batch took them and before
its job reads them (in the output function, on the driver): the tasks find them missing, as a
Dask task finds blocks whose workers died.
"""

from __future__ import annotations

import pytest
from receiver_checks import LineServer, stored_but_unbatched

from ember import SparkConf, SparkContext
from ember.plugins.testing import wait_until
from ember.streaming import StreamingListener
from ember.testing import advance_batches, manual_streaming_context

LINES = [f"line{i}" for i in range(3000)]  # enough for 2 partitions on 2 workers


@pytest.fixture
def server():
    served = LineServer()
    yield served
    served.close()


class Failures(StreamingListener):
    def __init__(self):
        self.reasons: list[str] = []
        self.batch_times_ms: list[int] = []  # of the failed output operations

    def onOutputOperationCompleted(self, outputOperationCompleted):
        info = outputOperationCompleted.outputOperationInfo()
        if info.failureReason() is not None:
            self.reasons.append(info.failureReason())
            self.batch_times_ms.append(info.batchTime().milliseconds())


def run_batch_losing_its_blocks(tmp_path, server: LineServer, write_ahead_log: bool):
    """Batches until one holds received lines; its blocks are removed before its job reads
    them.  Returns its partitions as read before and after, and the output operations' failures.
    Without the log, the lines may reach the receiver after the first batch was cut: the batch
    that holds them is the first or a later one."""
    conf = SparkConf().set("spark.streaming.receiver.writeAheadLog.enable", str(write_ahead_log).lower())
    sc = SparkContext("local[2]", "received-blocks-rebuilt", conf=conf)
    read: list[list[list[str]]] = []
    failures = Failures()
    try:
        ssc = manual_streaming_context(sc, 1, str(tmp_path / "checkpoint"))
        ssc.addStreamingListener(failures)
        lines = ssc.socketTextStream("127.0.0.1", server.port)

        def lose_blocks_then_read(rdd):
            partitions = rdd.glom().collect()
            if any(partitions):
                read.append(partitions)
                sc.executor.remove_blocks(["received/"])
                read.append(rdd.glom().collect())

        lines.foreachRDD(lose_blocks_then_read)
        ssc.start()
        wait_until(lambda: server.connections, what="the receiver to connect")
        server.send(LINES)
        if write_ahead_log:  # all in the batch to come
            log = str(tmp_path / "checkpoint" / "receivedData" / "0")
            wait_until(lambda: len(stored_but_unbatched(log)) == len(LINES), what="the lines logged")
        wait_until(
            lambda: advance_batches(ssc, 1, raise_errors=False) or read or failures.reasons,
            what="a batch that holds lines",
        )
        ssc.stop(stopSparkContext=False)
    finally:
        sc.stop()
    return read, failures


def test_lost_received_blocks_are_rebuilt_from_the_log_with_the_same_records(tmp_path, server):
    read, failures = run_batch_losing_its_blocks(tmp_path, server, write_ahead_log=True)
    assert failures.reasons == []
    before, after = read
    assert len(before) == 2
    assert after == before
    assert [line for partition in after for line in partition] == LINES


def test_without_the_log_lost_received_blocks_fail_the_batch_saying_so(tmp_path, server):
    read, failures = run_batch_losing_its_blocks(tmp_path, server, write_ahead_log=False)
    assert len(read) == 1  # read once; the second read failed
    assert len(failures.reasons) == 1
    [batch_ms] = failures.batch_times_ms  # the batch that held the lines
    first_line = failures.reasons[0].splitlines()[0]
    assert first_line.startswith(
        f"ReceivedBlocksLostError: received blocks of batch {batch_ms} ms of socket source of "
        "ember-socket (stream 0)"
    ), first_line
    assert "were lost with their workers and the write-ahead log is off: received/" in first_line


def test_each_receiver_stream_logs_into_its_own_directory(tmp_path):
    """The log a stream's lost blocks are rebuilt from is the one its receiver writes."""
    servers = [LineServer(), LineServer()]
    conf = SparkConf().set("spark.streaming.receiver.writeAheadLog.enable", "true")
    sc = SparkContext("local[2]", "receiver-logs", conf=conf)
    try:
        ssc = manual_streaming_context(sc, 1, str(tmp_path / "checkpoint"))
        for served in servers:
            ssc.socketTextStream("127.0.0.1", served.port).foreachRDD(lambda rdd: None)
        ssc.start()
        wait_until(lambda: all(served.connections for served in servers), what="both receivers to connect")
        servers[0].send(["first"])
        servers[1].send(["second"])
        # named by the stream's index in the graph: each socket stream, then its output stream
        logs = [str(tmp_path / "checkpoint" / "receivedData" / str(index)) for index in (0, 2)]
        wait_until(
            lambda: [stored_but_unbatched(log) for log in logs] == [["first"], ["second"]],
            what="each line in its stream's log",
        )
        ssc.stop(stopSparkContext=False)
    finally:
        sc.stop()
        for served in servers:
            served.close()
