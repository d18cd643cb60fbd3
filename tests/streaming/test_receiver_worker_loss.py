"""Receivers run in the worker processes of local[N] and survive the loss of their worker.

A socket receiver (write-ahead log on) stores lines in the worker the executor put it in; the
test kills that worker with SIGKILL while stored lines wait for their batch.  The receiver
must start again on another worker, and every line it had stored must be in exactly one
batch (``receiver_checks``, the scenario ember-dask's tests walk too).  Batches run on a
manual clock, and the log's open segments show what was stored.
"""

from __future__ import annotations

import os
import signal

import pytest
from receiver_checks import (
    LineServer,
    ReceiverStarts,
    ReceiverWorkers,
    check_a_killed_receiver_worker_loses_no_stored_line,
    logged_receiver_job,
    stored_but_unbatched,
)

from ember.plugins.testing import wait_until
from ember.testing import advance_batches

#: local[2]'s receivers are hosted by worker processes, named by their pids
POOL_WORKERS = ReceiverWorkers(
    master="local[2]",
    live_hosts=lambda sc: {str(pid) for pid in sc.executor.worker_pids},
    pid_of=lambda sc, host: int(host),
    restart_seconds=30,
)


@pytest.fixture
def server():
    served = LineServer()
    yield served
    served.close()


def test_killing_the_receivers_worker_loses_no_stored_line(tmp_path, server):
    check_a_killed_receiver_worker_loses_no_stored_line(tmp_path, server, POOL_WORKERS)


def test_a_batch_whose_receiver_does_not_answer_goes_on_without_it_and_loses_nothing(tmp_path, server):
    """The receiver's worker is stopped (SIGSTOP) with lines stored: the batch waits only
    takeTimeout for its blocks, says so, and the lines come with the next batch."""
    events = ReceiverStarts()
    settings = {"spark.ember.streaming.receiver.takeTimeout": "1s"}
    with logged_receiver_job(tmp_path, server, POOL_WORKERS.master, events, settings) as (
        _,
        ssc,
        outputs,
        log,
    ):
        host = int(events.executors[0])
        server.send([f"a{i}" for i in range(100)])
        wait_until(lambda: len(stored_but_unbatched(log)) == 100, what="100 lines stored")
        os.kill(host, signal.SIGSTOP)
        try:
            advance_batches(ssc, 1)
        finally:
            os.kill(host, signal.SIGCONT)
        # the worker answers the late take first (sealing its lines in the log), then the next
        wait_until(lambda: not stored_but_unbatched(log), what="the late take to be answered")
        advance_batches(ssc, 1)
        ssc.stop(stopSparkContext=False)

        assert [sorted(batch) for batch in outputs] == [[], sorted(f"a{i}" for i in range(100))]
        [message] = [m for m in events.errors if "did not say within 1000 ms" in m]
        assert "spark.ember.streaming.receiver.takeTimeout" in message and "joins the next batch" in message
