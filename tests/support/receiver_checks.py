"""What receivers' tests share: a TCP server of text lines (real sockets on 127.0.0.1), a
listener of where receivers start, the lines a write-ahead log holds for no batch yet, and the
scenario of a receiver's worker killed with SIGKILL, which every executor with workers passes."""

from __future__ import annotations

import os
import signal
import socket
import threading
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ember import SparkConf, SparkContext
from ember.checkpoint import ValueCodec
from ember.checkpoint.wal import WriteAheadLog
from ember.plugins.testing import wait_until
from ember.streaming import StreamingListener
from ember.testing import advance_batches, collect_outputs, manual_streaming_context


class LineServer:
    """Serves lines over TCP to whichever client connected last."""

    def __init__(self):
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._server.accept()
            except OSError:
                return
            self.connections.append(connection)

    def send(self, lines: list[str]) -> None:
        self.connections[-1].sendall("".join(f"{line}\n" for line in lines).encode())

    def close(self) -> None:
        self._server.close()
        for connection in self.connections:
            connection.close()


class ReceiverStarts(StreamingListener):
    """Where each receiver started (``executorId``), and the errors it reported."""

    def __init__(self):
        self.executors: list[str] = []
        self.errors: list[str] = []

    def onReceiverStarted(self, receiverStarted):
        self.executors.append(receiverStarted.receiverInfo().executorId())

    def onReceiverError(self, receiverError):
        self.errors.append(receiverError.receiverInfo().lastErrorMessage())


def stored_but_unbatched(log_directory: str) -> list:
    """The records in the write-ahead log's open segments: stored, in no batch yet."""
    if not os.path.isdir(log_directory):
        return []
    records, _ = WriteAheadLog(log_directory, ValueCodec()).unsealed()
    return records


@contextmanager
def logged_receiver_job(
    tmp_path, server: LineServer, master: str, listener: ReceiverStarts, settings: dict[str, str]
) -> Iterator[tuple]:
    """A job on ``master`` and a manual clock collecting ``server``'s lines with the
    write-ahead log on, started, and its receiver connected: yields the context, the outputs
    and the log's directory.  Both contexts are stopped afterwards, even when a check failed
    (a StreamingContext left running would fail the next test's start)."""
    conf = SparkConf().set("spark.streaming.receiver.writeAheadLog.enable", "true")
    for key, value in settings.items():
        conf.set(key, value)
    sc = SparkContext(master, "receiver-worker-loss", conf=conf)
    try:
        ssc = manual_streaming_context(sc, 1, str(tmp_path / "checkpoint"))
        try:
            ssc.addStreamingListener(listener)
            outputs = collect_outputs(ssc.socketTextStream("127.0.0.1", server.port))
            ssc.start()
            wait_until(lambda: server.connections and listener.executors, what="the receiver to connect")
            yield sc, ssc, outputs, str(tmp_path / "checkpoint" / "receivedData" / "0")
        finally:
            ssc.stop(stopSparkContext=False)
    finally:
        sc.stop()


@dataclass(frozen=True)
class ReceiverWorkers:
    """What the worker-loss scenario needs to know of an executor's workers."""

    master: str
    #: the receiver hosts (``receiverInfo().executorId()``) of the live workers
    live_hosts: Callable[[SparkContext], Collection[str]]
    #: the pid of the worker process behind a live host
    pid_of: Callable[[SparkContext, str], int]
    #: how long the receiver may take to start again on another worker and reconnect
    restart_seconds: float


@dataclass(frozen=True)
class WorkerKilled:
    """What the scenario saw: the host it killed, its worker's pid, and the errors the
    receiver had reported by the time it started again."""

    host: str
    pid: int
    errors_when_restarted: list[str]


def check_a_killed_receiver_worker_loses_no_stored_line(
    tmp_path, server: LineServer, workers: ReceiverWorkers
) -> WorkerKilled:
    """A socket receiver with the write-ahead log on stores lines in the worker hosting it;
    that worker is killed with SIGKILL while 100 stored lines wait for their batch.  The
    receiver must start again on another live worker, and every line it had stored must be in
    exactly one batch.  Returns what an executor's own test may check besides."""
    starts = ReceiverStarts()
    settings = {"spark.streaming.receiverRestartDelay": "100"}
    with logged_receiver_job(tmp_path, server, workers.master, starts, settings) as (sc, ssc, outputs, log):
        first_host = starts.executors[0]
        assert first_host in workers.live_hosts(sc)  # in a worker, not in the driver
        server.send([f"a{i}" for i in range(100)])
        wait_until(lambda: len(stored_but_unbatched(log)) == 100, what="100 lines stored")
        advance_batches(ssc, 1)

        server.send([f"b{i}" for i in range(100)])
        wait_until(lambda: len(stored_but_unbatched(log)) == 100, what="100 more lines stored")
        killed_pid = workers.pid_of(sc, first_host)
        os.kill(killed_pid, signal.SIGKILL)

        wait_until(
            lambda: len(server.connections) == 2 and len(starts.executors) == 2,
            timeout=workers.restart_seconds,
            what="the receiver to start again and reconnect",
        )
        errors_when_restarted = list(starts.errors)
        second_host = starts.executors[-1]
        assert second_host != first_host and second_host in workers.live_hosts(sc)
        server.send([f"c{i}" for i in range(100)])
        wait_until(lambda: len(stored_but_unbatched(log)) == 200, what="the lines stored again")
        advance_batches(ssc, 2)
        ssc.stop(stopSparkContext=False)

        assert [len(batch) for batch in outputs] == [100, 200, 0]
        assert sorted(outputs[0]) == sorted(f"a{i}" for i in range(100))
        assert sorted(outputs[1]) == sorted([f"b{i}" for i in range(100)] + [f"c{i}" for i in range(100)])
    return WorkerKilled(first_host, killed_pid, errors_when_restarted)
