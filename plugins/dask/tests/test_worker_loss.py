"""Dask workers SIGKILLed in the middle of stateful, checkpointed jobs: the tasks they ran
run elsewhere, the blocks they held are rebuilt (shuffle outputs by re-running their map
tasks; the state from the last encoded state and the lineage since) and the final state is
exact."""

import json
import os
import signal

from dask_helpers import STATE_TOTALS, StateJob, kill_worker, run_job, stop, wait_for

from ember import SparkContext


def move_in(watched, staging, name: str, text: str) -> None:
    path = staging / name
    path.write_text(text)
    os.replace(path, watched / name)


def read_state(output):
    try:
        return json.loads(output.read_text())
    except (OSError, ValueError):
        return None


def kill_marked_worker(markers, name: str, job, log) -> int:
    marker = wait_for(
        lambda: [m for m in os.listdir(markers) if m.startswith(name)], f"a task to reach {name}", job, log
    )[0]
    pid = int(marker.rsplit("-", 1)[1])
    os.kill(pid, signal.SIGKILL)
    return pid


def test_two_workers_killed_mid_batch_leave_the_state_exact(tmp_path):
    watched, staging, markers = tmp_path / "in", tmp_path / "staging", tmp_path / "markers"
    for directory in (watched, staging, markers):
        directory.mkdir()
    output, log = tmp_path / "state.json", tmp_path / "job.log"
    job = run_job(
        "stateful_file_job.py",
        "dask-local[2]",
        str(watched),
        str(tmp_path / "checkpoint"),
        str(markers),
        str(output),
        log=log,
    )
    try:
        state = lambda: read_state(output)  # noqa: E731
        wait_for(lambda: state() is not None, "the first batch", job, log)
        move_in(watched, staging, "1.txt", "a b a\n")
        wait_for(lambda: state() == {"a": 2, "b": 1}, "the first file's counts", job, log)

        move_in(watched, staging, "2.txt", "SLOW1 b c\n")
        first = kill_marked_worker(markers, "SLOW1", job, log)
        wait_for(
            lambda: state() == {"a": 2, "b": 2, "c": 1, "SLOW1": 1}, "the batch of the first kill", job, log
        )

        move_in(watched, staging, "3.txt", "c d\n")
        wait_for(lambda: state() == {"a": 2, "b": 2, "c": 2, "d": 1, "SLOW1": 1}, "the next batch", job, log)

        move_in(watched, staging, "4.txt", "SLOW2 a\n")
        second = kill_marked_worker(markers, "SLOW2", job, log)
        move_in(watched, staging, "5.txt", "e\n")
        wait_for(
            lambda: state() == {"a": 3, "b": 2, "c": 2, "d": 1, "e": 1, "SLOW1": 1, "SLOW2": 1},
            "the final state",
            job,
            log,
        )
    finally:
        stop(job)
    assert first != second
    assert job.returncode is not None


def test_killing_the_worker_that_keeps_a_state_partition_changes_no_result(tmp_path):
    """The state is encoded every 2 batches (of 5 s): the partition kept by the killed worker
    is computed again from batch 2's encoded state and batch 3's new values, then batch 4 goes
    on from it."""
    sc = SparkContext("dask-local[2]", "dask-state-worker-loss")
    try:
        job = StateJob(sc, tmp_path, batch_seconds=5)
        job.advance(3)
        keeping = sc.executor.local_blocks_by_worker()
        victim = next(status for status in sc.executor.worker_status() if status.worker_id in keeping)
        assert victim.pid in job.updating_pids()
        kill_worker(sc, victim)
        job.advance(2)
        outputs = job.stop()
        assert sc.executor.workers_lost == 1
    finally:
        sc.stop()
    assert outputs == STATE_TOTALS
