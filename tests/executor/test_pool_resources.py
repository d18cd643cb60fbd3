"""Shared memory and temp files of the local[N] pool: where blocks go, and that none outlive it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest
from pool_helpers import pid_alive, pool_files, wait_until

from ember import SparkConf
from ember.executor.segments import SHM_DIR, parse_size
from ember.serde.codec import SerializationError


def test_blocks_live_in_shared_memory_and_stop_removes_every_segment(pool_context):
    sc = pool_context()
    prefix = sc._executor._space.prefix
    data = sc.parallelize(range(1000), 4).map(lambda x: (x % 7, x)).cache()
    reduced = data.reduceByKey(lambda a, b: a + b)  # its shuffle blocks live as long as it does
    assert reduced.count() == 7
    shm = [p for p in pool_files(prefix) if p.startswith(SHM_DIR)]
    assert any("b.rdd" in p for p in shm) and any("b.shuffle" in p for p in shm)
    sc.stop()
    assert pool_files(prefix) == []


def test_a_one_mebibyte_budget_sends_blocks_to_memory_mapped_files(pool_context):
    sc = pool_context("local[2]", SparkConf().set("spark.ember.shm.budget", "1m"))
    space = sc._executor._space
    lines = [f"line {i} " + "x" * 200 for i in range(20000)]  # about 4 MiB
    rdd = sc.parallelize(lines, 8).cache()
    assert rdd.count() == len(lines)
    assert rdd.collect() == lines
    shm_bytes = sum(
        os.path.getsize(p) for p in pool_files(space.prefix) if p.startswith(SHM_DIR) and "b." in p
    )
    file_blocks = os.listdir(space.file_dir)
    assert 0 < shm_bytes <= parse_size("1m")
    assert any("b.rdd" in name for name in file_blocks) and any("b.input" in name for name in file_blocks)
    sc.stop()
    assert pool_files(space.prefix) == []


def test_a_broadcast_is_stored_once_in_shared_memory_and_read_by_every_task(pool_context):
    sc = pool_context()
    table = sc.broadcast({i: str(i) for i in range(1000)})
    blocks = [p for p in pool_files(sc._executor._space.prefix) if "b.broadcast" in p]
    assert len(blocks) == 1 and blocks[0].startswith(SHM_DIR)
    assert sc.parallelize(range(10), 4).map(lambda x: table.value[x * 100]).collect() == [
        str(x * 100) for x in range(10)
    ]


def test_functions_are_sent_once_per_worker_not_per_job(pool_context):
    sc = pool_context()
    executor = sc._executor
    offset = 3

    def shift(x):
        return x + offset

    def run():
        shifted = sc.parallelize(range(20), 4).map(shift)
        return shifted.filter(lambda x: x % 2 == 0).collect(), set(
            shifted.map(lambda _: os.getpid()).collect()
        )

    pids: set = set()
    wait_until(lambda: pids.update(run()[1]) or len(pids) == 2, what="both workers to run tasks")
    run()  # both workers are up: each takes tasks of every stage
    sent = executor.function_payloads_sent
    assert sent == 2 * executor.distinct_functions  # each function once to each worker
    for _ in range(10):
        assert run()[0] == [x + 3 for x in range(20) if (x + 3) % 2 == 0]
    assert executor.function_payloads_sent == sent
    offset = 4  # a changed closure is a new function: it travels again, and is used
    assert run()[0] == [x + 4 for x in range(20) if (x + 4) % 2 == 0]
    assert executor.function_payloads_sent > sent


def test_workers_inherit_sys_path_and_run_with_a_fixed_hash_seed(pool_context, tmp_path, monkeypatch):
    (tmp_path / "job_helpers.py").write_text("def triple(x):\n    return 3 * x\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    sc = pool_context()

    def uses_own_module(x):
        import job_helpers

        return job_helpers.triple(x), os.environ["PYTHONHASHSEED"], hash("ember")

    results = sc.parallelize(range(4), 2).map(uses_own_module).collect()
    expected_hash = subprocess.run(
        [sys.executable, "-c", "print(hash('ember'))"],
        env={**os.environ, "PYTHONHASHSEED": "0"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert results == [(3 * x, "0", int(expected_hash)) for x in range(4)]


def test_an_unserializable_record_names_its_type_and_the_operation(pool_context):
    import threading

    sc = pool_context()
    with pytest.raises(SerializationError, match=r"_thread\.lock while storing block 'input/"):
        sc.parallelize([threading.Lock()], 1)
    with pytest.raises(SerializationError, match=r"_thread\.lock while returning the result of task 0"):
        sc.parallelize([1], 1).map(lambda x: threading.Lock()).collect()


_DRIVER = textwrap.dedent("""
    import sys
    from ember import SparkContext
    sc = SparkContext("local[2]", "killed-driver")
    rdd = sc.parallelize(range(10000), 4).map(lambda x: (x % 10, x)).cache()
    assert rdd.reduceByKey(lambda a, b: a + b).count() == 10
    print(sc._executor._space.prefix, *sc._executor.worker_pids, flush=True)
    sys.stdin.read()  # hold everything until the test kills this driver
""")


def _start_driver():
    driver = subprocess.Popen(
        [sys.executable, "-c", _DRIVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    prefix, *pids = driver.stdout.readline().split()
    assert pool_files(prefix), "the driver stored no blocks"
    return driver, prefix, [int(p) for p in pids]


def test_workers_remove_the_segments_when_their_driver_is_killed():
    driver, prefix, workers = _start_driver()
    driver.kill()
    driver.wait()
    wait_until(lambda: not any(pid_alive(p) for p in workers), what="the workers to exit")
    assert pool_files(prefix) == []


def test_the_next_start_removes_what_a_killed_driver_and_its_killed_workers_left(pool_context):
    driver, prefix, workers = _start_driver()
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not any(pid_alive(p) for p in workers), what="the workers to die")
    driver.kill()
    driver.wait()
    assert pool_files(prefix), "nothing was left behind to sweep"
    pool_context("local[2]")
    assert pool_files(prefix) == []


def test_a_captured_mutable_value_is_read_as_it_is_when_each_job_starts(sc):
    allowed = [1]

    def keep(x):
        return x in allowed

    numbers = sc.parallelize(range(5), 2)
    assert numbers.filter(keep).collect() == [1]
    allowed.append(3)
    assert numbers.filter(keep).collect() == [1, 3]


def test_each_task_gets_its_own_copy_of_what_its_functions_captured(sc):
    seen = []

    def number(x):
        seen.append(x)
        return len(seen)

    assert sc.parallelize(range(6), 3).map(number).collect() == [1, 2, 1, 2, 1, 2]
    assert seen == []


def test_stop_during_a_job_ends_the_job_and_leaves_nothing_behind(pool_context, tmp_path):
    import threading

    sc = pool_context()
    prefix = sc._executor._space.prefix
    started = tmp_path / "started"

    def slow(x):
        started.touch()
        threading.Event().wait(60)  # until the stop kills this worker
        return x

    errors: list = []

    def job():
        try:
            sc.parallelize(range(2), 2).map(slow).collect()
        except RuntimeError as error:
            errors.append(error)

    runner = threading.Thread(target=job)
    runner.start()
    wait_until(started.exists, what="the task to start")
    sc.stop()
    runner.join(30)
    assert not runner.is_alive()
    assert "stopped while this job was running" in str(errors[0])
    assert pool_files(prefix) == []
    with pytest.raises(RuntimeError, match="executor was shut down"):
        sc._executor.put_block("input/late/0", [1])
    assert pool_files(prefix) == []
