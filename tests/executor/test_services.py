"""``Executor.start_service`` and ``shutdown`` as every executor inherits them: a service
that cannot be pickled runs on a thread of the driver (with a warning where workers would have
hosted it), a shut-down executor starts no service, and shutting down twice does nothing the
second time.  Real executors, real worker processes."""

from __future__ import annotations

import os

import pytest
from log_records import logged_warnings
from pool_helpers import pid_alive
from service_checks import HoldsALock, ReportsItsPid, run_once, unpicklable_warning


def test_a_service_that_cannot_be_pickled_runs_on_a_driver_thread_with_a_warning(pool_context, caplog):
    sc = pool_context("local[2]")
    warnings = logged_warnings(caplog, "ember.executor")
    assert run_once(sc.executor, HoldsALock(), "locked-service") == ("driver", os.getpid())
    assert warnings() == [unpicklable_warning("locked-service")]


def test_a_service_that_can_be_pickled_runs_in_a_worker_without_a_warning(pool_context, caplog):
    sc = pool_context("local[2]")
    warnings = logged_warnings(caplog, "ember.executor")
    where, pid = run_once(sc.executor, ReportsItsPid(), "reporting-service")
    assert pid in sc.executor.worker_pids and where == str(pid)
    assert warnings() == []


def test_local_1_runs_a_service_on_a_driver_thread_without_pickling_it(pool_context, caplog):
    sc = pool_context("local[1]")
    warnings = logged_warnings(caplog, "ember.executor")
    assert run_once(sc.executor, HoldsALock(), "locked-service") == ("driver", os.getpid())
    assert warnings() == []


@pytest.mark.parametrize("master", ["local[1]", "local[2]"])
def test_a_shut_down_executor_starts_no_service(pool_context, master):
    sc = pool_context(master)
    sc.stop()
    with pytest.raises(RuntimeError, match=r"^the executor was shut down \(SparkContext stopped\)$"):
        sc.executor.start_service(ReportsItsPid(), print, print, "late-service")


def test_shutting_down_twice_does_nothing_the_second_time(pool_context):
    """The pool's second shutdown would close its service hub's sockets again."""
    sc = pool_context("local[2]")
    where, _ = run_once(sc.executor, ReportsItsPid(), "reporting-service")
    sc.executor.shutdown()
    sc.executor.shutdown()
    assert not pid_alive(int(where))
    with pytest.raises(RuntimeError, match="the executor was shut down"):
        sc.executor.run_tasks([])
