"""A job on a cluster started as separate processes (``dask scheduler`` + two ``dask worker``),
reached by ``--master dask://host:port``, as on a real cluster."""

import json
import subprocess
import sys

from dask_helpers import job_environment, run_job, stop, wait_for
from ember_dask.masters import cluster_workers


def test_a_job_runs_on_a_scheduler_started_as_its_own_process(dask_cluster, tmp_path):
    source, target, log = tmp_path / "in.txt", tmp_path / "out.json", tmp_path / "job.log"
    source.write_text("to be or not to be\nthat is the question\n" * 50)
    job = run_job("batch_word_count.py", f"dask://{dask_cluster}", str(source), str(target), log=log)
    wait_for(lambda: job.poll() is not None, "the job to finish", log=log)
    assert job.returncode == 0, log.read_text()
    result = json.loads(target.read_text())
    assert result == {
        "counts": {
            "to": 100,
            "be": 100,
            "or": 50,
            "not": 50,
            "that": 50,
            "is": 50,
            "the": 50,
            "question": 50,
        },
        "total": 500,
        "parallelism": 2,
        "workers_with_blocks": 2,
    }


def test_a_worker_that_joins_takes_tasks_from_the_next_stage(dask_cluster, tmp_path):
    from ember import SparkContext

    sc = SparkContext(f"dask://{dask_cluster}", "ember-dask-join")
    log = open(tmp_path / "third-worker.log", "wb")
    third = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dask",
            "worker",
            f"tcp://{dask_cluster}",
            "--nthreads",
            "1",
            "--host",
            "127.0.0.1",
            "--no-dashboard",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=job_environment(),
    )
    try:
        numbers = sc.parallelize(range(60), 6).map(lambda x: (x % 6, x))
        assert sorted(numbers.reduceByKey(lambda a, b: a + b).collect())[0] == (0, 270)
        assert len(sc.executor.blocks_by_worker()) == 2
        wait_for(lambda: len(cluster_workers(sc.executor.client)) == 3, "the third worker", third)
        partitioned = numbers.partitionBy(6).cache()  # kept: its cached blocks stay while it lives
        assert sorted(partitioned.reduceByKey(lambda a, b: a + b).collect())[5] == (5, 320)
        assert len(sc.executor.blocks_by_worker()) == 3
    finally:
        sc.stop()
        stop(third)
        log.close()
