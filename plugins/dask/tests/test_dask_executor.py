"""The executor on dask-local[2] (the LocalCluster the session shares): blocks stay on the
workers that wrote them, functions travel once per worker, lost shuffle outputs are rebuilt by
re-running only the map tasks that wrote them."""

import os
import pickle

import pytest
from dask_helpers import kill_worker
from ember_dask.masters import parse_dask_master
from ember_dask.worker_blocks import BlockHolder, StageAbandonedError
from failure_checks import check_a_failed_stage_waits_for_its_running_tasks
from log_records import logged_warnings
from service_checks import HoldsALock, ReportsItsPid, run_once, unpicklable_warning

from ember import SparkContext


@pytest.fixture
def sc():
    context = SparkContext("dask-local[2]", "ember-dask-tests")
    try:
        yield context
    finally:
        context.stop()


def test_shuffle_and_cached_blocks_stay_spread_over_the_workers(sc):
    pairs = sc.parallelize(range(100), 4).map(lambda x: (x % 10, x)).partitionBy(4).cache()
    assert sorted(pairs.reduceByKey(lambda a, b: a + b).collect()) == [
        (0, 450),
        (1, 460),
        (2, 470),
        (3, 480),
        (4, 490),
        (5, 500),
        (6, 510),
        (7, 520),
        (8, 530),
        (9, 540),
    ]
    by_worker = sc.executor.blocks_by_worker()
    assert len(by_worker) == 2
    # each worker holds its half of the 4 slices' shuffle outputs and cached partitions
    assert sorted(records for _, records, _ in by_worker.values()) == [150, 150]


def test_functions_travel_once_per_worker(sc):
    def square(x):
        return x * x

    numbers = sc.parallelize(range(10), 4)
    assert numbers.map(square).sum() == 285
    sent = sc.executor.function_payloads_sent
    for _ in range(3):
        assert numbers.map(square).sum() == 285
    assert sc.executor.function_payloads_sent == sent


def test_a_stage_travels_to_each_worker_once(sc, monkeypatch):
    """The first task of a stage sent to a worker carries what the stage's tasks share (the
    functions, the common pickle, the block table); the others only their own pickle."""
    submitted = []
    submit = sc.executor.client.submit

    def recorded(function, *args, **kwargs):
        submitted.append(args)  # (executor id, shipment id, shipment or None, own, attempt)
        return submit(function, *args, **kwargs)

    monkeypatch.setattr(sc.executor.client, "submit", recorded)
    offsets = tuple(range(10_000))  # ~50 kB of function pickle
    assert sc.parallelize(range(40), 40).map(lambda x: x + offsets[x]).sum() == 1560
    shipments = [args[2] for args in submitted if args[2] is not None]
    assert len(submitted) == 40
    assert len(shipments) == 2  # one per worker
    assert all(len(pickle.dumps(shipment)) > 20_000 for shipment in shipments)
    assert max(len(pickle.dumps(args)) for args in submitted if args[2] is None) < 200


def test_each_worker_is_sent_only_the_driver_blocks_placed_on_it(sc, monkeypatch):
    sent = []
    run = sc.executor.client.run

    def recorded(function, *args, workers=None, **kwargs):
        if function.__name__ == "update_blocks":
            sent.append((tuple(workers), args[1]))  # (the workers called, the blocks sent)
        return run(function, *args, workers=workers, **kwargs)

    monkeypatch.setattr(sc.executor.client, "run", recorded)
    assert sc.parallelize(range(40), 4).sum() == 780
    with_blocks = [(workers, plan) for workers, plan in sent if plan]
    assert sorted(len(plan[workers[0]]) for workers, plan in with_blocks) == [2, 2]  # 4 slices
    assert all(len(workers) == 1 and list(plan) == list(workers) for workers, plan in with_blocks)


def test_lost_shuffle_outputs_are_rebuilt_by_their_own_map_tasks(sc):
    mapped = sc.accumulator(0)

    def count(x):
        mapped.add(1)
        return (x % 3, 1)

    counts = sc.parallelize(range(12), 4).map(count).reduceByKey(lambda a, b: a + b)
    assert sorted(counts.collect()) == [(0, 4), (1, 4), (2, 4)]
    assert mapped.value == 12
    kill_worker(sc, sc.executor.worker_status()[0])
    assert sorted(counts.collect()) == [(0, 4), (1, 4), (2, 4)]
    assert mapped.value == 12 + 6  # the two map tasks (of 3 records each) that ran on the victim
    assert sc.executor.workers_lost == 1


def test_a_service_runs_on_a_worker_unless_it_cannot_be_pickled_and_none_once_shut_down(sc, caplog):
    """What the executor keeps from ``Executor``: a service that cannot be pickled runs on a
    thread of the driver, with a warning; once shut down (twice: the second call does
    nothing) it starts no service."""
    warnings = logged_warnings(caplog, "ember.executor")
    where, pid = run_once(sc.executor, ReportsItsPid(), "reporting-service")
    assert sc.executor.client.run(os.getpid)[where] == pid  # a Dask worker's address and its pid
    assert run_once(sc.executor, HoldsALock(), "locked-service") == ("driver", os.getpid())
    assert warnings() == [unpicklable_warning("locked-service")]
    sc.stop()
    sc.executor.shutdown()
    with pytest.raises(RuntimeError, match=r"^the executor was shut down \(SparkContext stopped\)$"):
        sc.executor.start_service(ReportsItsPid(), print, print, "late-service")


def test_a_failed_stage_is_reported_once_its_other_tasks_have_ended(sc, tmp_path):
    check_a_failed_stage_waits_for_its_running_tasks(sc, tmp_path)


def test_a_task_of_a_failed_stage_that_has_not_started_does_not_run():
    holder = BlockHolder()
    holder.abandon("executor", "stage")
    with pytest.raises(StageAbandonedError):
        holder.load_task("executor", "stage", None, b"")


def test_master_urls():
    assert parse_dask_master("local[2]") is None
    assert parse_dask_master("dask://10.0.0.5:8786").address == "tcp://10.0.0.5:8786"
    assert parse_dask_master("dask-local[3]").local_workers == 3
    with pytest.raises(ValueError, match=r"ember-dask takes dask://HOST:PORT .* or dask-local\[N\]"):
        parse_dask_master("dask://scheduler")
