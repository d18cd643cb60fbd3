"""Quiet by default, loud when it matters: a receiver retrying a server that is down logs its
error once and then a count; the end of a socket's input is no warning; a job falling behind
and catching up is one warning each; setLogLevel alone shows ember's INFO lines; the command
line does not fail when its reader goes away."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import threading

from ember.streaming.listener import StreamingListener
from ember.testing import manual_streaming_context


class ErrorCounter(StreamingListener):
    def __init__(self, wanted: int):
        self.errors = 0
        self.enough = threading.Event()
        self.wanted = wanted

    def onReceiverError(self, receiverError):
        self.errors += 1
        if self.errors >= self.wanted:
            self.enough.set()


def _closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as server:
        return server.getsockname()[1]


def test_a_receiver_retrying_a_server_that_is_down_logs_once_then_a_count(local_sc, caplog):
    local_sc._conf.set("spark.streaming.receiverRestartDelay", "20")
    ssc = manual_streaming_context(local_sc, 1)
    ssc.socketTextStream("127.0.0.1", _closed_port()).pprint()
    counter = ErrorCounter(wanted=12)
    ssc.addStreamingListener(counter)
    with caplog.at_level(logging.INFO, logger="ember"):
        ssc.start()
        assert counter.enough.wait(60)
        ssc.stop(stopSparkContext=False)
    refused = [r.getMessage() for r in caplog.records if "error connecting" in r.getMessage()]
    summaries = [m for m in refused if m.startswith("... the same happened")]
    assert len(refused) - len(summaries) <= 2  # the error, and its restart once the delay is capped
    assert len(summaries) == 1
    assert int(summaries[0].split()[4]) + len(refused) - len(summaries) >= counter.errors


def test_the_end_of_a_sockets_input_is_not_a_warning(local_sc, caplog):
    server = socket.create_server(("127.0.0.1", 0))
    ended = threading.Event()

    def serve_once():
        connection, _ = server.accept()
        with connection:
            connection.sendall(b"one line\n")
        ended.set()

    threading.Thread(target=serve_once, daemon=True).start()
    ssc = manual_streaming_context(local_sc, 1)
    ssc.socketTextStream("127.0.0.1", server.getsockname()[1]).pprint()
    counter = ErrorCounter(wanted=1)
    ssc.addStreamingListener(counter)
    with caplog.at_level(logging.INFO, logger="ember"):
        ssc.start()
        assert counter.enough.wait(60)
        ssc.stop(stopSparkContext=False)
    server.close()
    ends = [r for r in caplog.records if "had no more data" in r.getMessage()]
    assert ends and all(r.levelno == logging.INFO for r in ends)


def test_falling_behind_and_catching_up_are_one_warning_each(local_sc, caplog):
    ssc = manual_streaming_context(local_sc, 1)
    ssc.queueStream([], default=[1]).count().pprint()
    with caplog.at_level(logging.WARNING, logger="ember.streaming"):
        ssc.start()
        ssc.clock.advance(6000)  # six batches at once: the first five start late
        assert ssc.scheduler.wait_for_batch(6000, 60)
        for time_ms in range(7000, 10000, 1000):
            ssc.clock.advance(1000)
            assert ssc.scheduler.wait_for_batch(time_ms, 60)
        ssc.stop(stopSparkContext=False)
    messages = [r.getMessage() for r in caplog.records]
    behind = [m for m in messages if m.startswith("The job is falling behind")]
    caught_up = [m for m in messages if m.startswith("The job has caught up")]
    assert behind == [
        "The job is falling behind: the batch at 1000 ms started 5.000 s late (over 3 batch "
        "intervals of 1.000 s); its processing took 0.000 s. Batches queue up while processing "
        "takes longer than the interval"
    ]
    assert caught_up == ["The job has caught up: the batch at 3000 ms started 3.000 s after its time"]


def test_set_log_level_info_alone_shows_each_batchs_delays(tmp_path):
    job = tmp_path / "job.py"
    job.write_text(
        "from ember import SparkContext\nfrom ember.streaming import StreamingContext\n"
        "sc = SparkContext('local[1]', 'levels')\nsc.setLogLevel('INFO')\n"
        "ssc = StreamingContext(sc, 0.1)\nssc.queueStream([[1], [2]]).pprint()\n"
        "ssc.start()\nssc.awaitTerminationOrTimeout(0.5)\nssc.stop()\n"
    )
    done = subprocess.run([sys.executable, str(job)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert " INFO ember.streaming: Total delay: " in done.stderr


def test_plugins_into_a_closed_pipe_is_no_error():
    process = subprocess.Popen(
        [sys.executable, "-m", "ember", "plugins"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    process.stdout.close()
    error = process.stderr.read().decode()
    assert process.wait(60) == 0
    assert "BrokenPipeError" not in error and "Traceback" not in error
