"""Worker deaths, user exceptions, retries and accumulators on the local[N] pool."""

from __future__ import annotations

import os
import signal
import threading

import pytest
from failure_checks import check_a_failed_stage_waits_for_its_running_tasks
from pool_helpers import pid_alive, pool_files, wait_until

from ember import TaskContext
from ember.executor.base import TaskFailedError
from ember.executor.pool import RemoteTaskError


def _kill_first_attempt_worker(flag_dir: str) -> threading.Thread:
    """Waits for a task to announce its pid, then SIGKILLs that worker (once)."""

    def killer():
        pid_file = os.path.join(flag_dir, "pid")
        wait_until(
            lambda: os.path.exists(pid_file) and open(pid_file).read().endswith("\n"), what="a task to start"
        )
        pid = int(open(pid_file).read())
        open(os.path.join(flag_dir, "killed"), "w").close()
        os.kill(pid, signal.SIGKILL)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    return thread


def _blocks_until_killed(flag_dir: str):
    """A map function: the first task to see record 7 announces itself and waits to be killed."""

    def f(x):
        killed = os.path.join(flag_dir, "killed")
        if x == 7 and not os.path.exists(killed):
            with open(os.path.join(flag_dir, "pid"), "w") as pid_file:
                pid_file.write(f"{os.getpid()}\n")
            threading.Event().wait(60)  # the test's SIGKILL ends this wait
        return (x % 5, x)

    return f


@pytest.mark.parametrize("master", ["local[2]", "local[4]"])
def test_sigkill_of_a_worker_mid_task_still_gives_correct_results(pool_context, tmp_path, master):
    sc = pool_context(master)
    executor = sc._executor
    first_pids = set(executor.worker_pids)
    killer = _kill_first_attempt_worker(str(tmp_path))
    result = (
        sc.parallelize(range(100), 4)
        .map(_blocks_until_killed(str(tmp_path)))
        .reduceByKey(lambda a, b: a + b)
        .collectAsMap()
    )
    killer.join()
    assert result == {k: sum(x for x in range(100) if x % 5 == k) for k in range(5)}
    killed = int(open(tmp_path / "pid").read())
    assert killed in first_pids and killed not in executor.worker_pids
    assert executor.workers_replaced == 1 and len(executor.worker_pids) == len(first_pids)
    assert not pid_alive(killed)
    assert not [p for p in pool_files(executor._space.prefix) if f"t.{killed}." in p]
    # the replacement works like the others
    assert sc.parallelize(range(10), 4).map(lambda x: x * 2).collect() == list(range(0, 20, 2))


def test_a_worker_killed_while_idle_is_replaced(pool_context):
    sc = pool_context()
    executor = sc._executor
    assert sc.parallelize(range(4), 2).count() == 4
    victim = executor.worker_pids[0]
    os.kill(victim, signal.SIGKILL)
    wait_until(lambda: not pid_alive(victim), what="the worker to die")
    assert sc.parallelize(range(40), 4).map(lambda x: x + 1).sum() == sum(range(1, 41))
    assert victim not in executor.worker_pids


def _segfault(x):
    os.kill(os.getpid(), signal.SIGSEGV)


def test_a_task_that_keeps_killing_its_worker_fails_the_job_with_a_clear_error(pool_context):
    sc = pool_context()
    with pytest.raises(
        TaskFailedError, match=r"lost its worker process 4 times \(last one killed by SIGSEGV\)"
    ):
        sc.parallelize([1], 1).map(_segfault).collect()
    assert sc.parallelize(range(5), 2).collect() == list(range(5))


class ParseFailure(Exception):
    """A user's own exception type: it must reach the driver as itself."""


def parse_record(x):
    if x == 3:
        raise ParseFailure(f"cannot parse record {x}")
    return x


def test_the_user_exception_type_message_and_worker_traceback_reach_the_driver(pool_context):
    sc = pool_context()
    with pytest.raises(ParseFailure, match="cannot parse record 3") as raised:
        sc.parallelize(range(6), 3).map(parse_record).collect()
    notes = "\n".join(raised.value.__notes__)
    assert "failed 1 time(s)" in notes
    assert "Traceback in the worker" in notes and "in parse_record" in notes


class Unpicklable(Exception):
    def __init__(self, lock):
        super().__init__("holds a lock")
        self.lock = lock


def test_an_exception_that_cannot_travel_is_described_instead(pool_context):
    sc = pool_context()

    def fail(x):
        raise Unpicklable(threading.Lock())

    with pytest.raises(RemoteTaskError, match="Unpicklable: holds a lock"):
        sc.parallelize([1], 1).map(fail).collect()


def _fails_on_first_attempt(counter):
    def f(x):
        counter.add(1)
        if TaskContext.get().attemptNumber() == 0 and x % 10 == 9:
            raise RuntimeError("transient failure")
        return x

    return f


def test_accumulators_count_only_the_successful_attempt_of_retried_tasks(pool_context):
    sc = pool_context("local[2,3]")
    counter = sc.accumulator(0)
    assert sc.parallelize(range(40), 4).map(_fails_on_first_attempt(counter)).count() == 40
    assert counter.value == 40


def test_plain_local_n_makes_one_attempt(pool_context):
    sc = pool_context("local[2]")
    counter = sc.accumulator(0)
    with pytest.raises(RuntimeError, match="transient failure"):
        sc.parallelize(range(40), 4).map(_fails_on_first_attempt(counter)).count()
    assert counter.value == 0


def test_a_task_failing_every_attempt_reports_the_attempt_count(pool_context):
    sc = pool_context("local[2,3]")
    attempts = sc.accumulator(0)

    def always_fails(x):
        raise KeyError(f"attempt {TaskContext.get().attemptNumber()}")

    with pytest.raises(KeyError, match="attempt 2") as raised:
        sc.parallelize([1], 1).map(always_fails).collect()
    assert "failed 3 time(s)" in "\n".join(raised.value.__notes__)
    assert attempts.value == 0


def test_a_worker_that_cannot_start_is_a_clear_error(pool_context):
    from ember import SparkConf

    broken = SparkConf().setExecutorEnv("PYTHONHOME", "/nonexistent/python-home")
    sc = pool_context("local[2]", broken)
    with pytest.raises(
        RuntimeError, match=r"worker process of the local\[2\] pool failed to start \(exited with code 1\)"
    ):
        sc.parallelize(range(4), 2).count()


def test_a_failed_stage_is_reported_once_its_other_tasks_have_ended(pool_context, tmp_path):
    check_a_failed_stage_waits_for_its_running_tasks(pool_context("local[2]"), tmp_path)
