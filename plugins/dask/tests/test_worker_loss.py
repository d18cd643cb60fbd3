"""Dask workers SIGKILLed in the middle of batches of stateful, checkpointed jobs: the tasks
they ran run elsewhere, the blocks they held are rebuilt (shuffle outputs by re-running their
map tasks; the state from the last encoded state and the lineage since, or its replica), a
receiver on a killed worker starts again on another (what it stored and no batch took comes
back from its write-ahead log; what a batch took, from the copy on a second worker) and the
final state is exact: every line counted once."""

import json
import os
import signal

from dask_helpers import STATE_TOTALS, StateJob, kill_worker, run_job, stop, wait_for
from receiver_checks import LineServer

from ember import SparkContext
from ember.checkpoint import ValueCodec
from ember.checkpoint.wal import WriteAheadLog


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


def logged_lines(log_directory) -> list[str]:
    """Every line the receiver's write-ahead log holds (stored: in a batch's segment or not)."""
    if not os.path.isdir(log_directory):
        return []
    batches, unowned, _ = WriteAheadLog(str(log_directory), ValueCodec()).recover(keep_batches=True)
    return [line for records in batches.values() for line in records] + unowned


def receiver_places(path) -> list[tuple[str, int]]:
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return []
    return [(address, int(pid)) for address, pid in (line.split() for line in lines)]


def test_a_receivers_worker_and_another_killed_mid_batch_leave_the_state_exact(tmp_path):
    watched, staging, markers = tmp_path / "in", tmp_path / "staging", tmp_path / "markers"
    for directory in (watched, staging, markers):
        directory.mkdir()
    output, log, places = tmp_path / "state.json", tmp_path / "job.log", tmp_path / "receivers"
    wal = tmp_path / "checkpoint" / "receivedData" / "0"
    server = LineServer()
    job = run_job(
        "stateful_receiver_job.py",
        "dask-local[2]",
        str(server.port),
        str(watched),
        str(tmp_path / "checkpoint"),
        str(markers),
        str(output),
        str(places),
        log=log,
    )
    try:
        state = lambda: read_state(output)  # noqa: E731
        wait_for(lambda: server.connections and receiver_places(places), "the receiver to connect", job, log)
        server.send(["s a"])
        move_in(watched, staging, "1.txt", "a b a\n")
        wait_for(lambda: state() == {"a": 3, "b": 1, "s": 1}, "the first lines' counts", job, log)

        # kill 1: the receiver's worker, while a batch waits in a task and lines wait in the log
        move_in(watched, staging, "2.txt", "SLOW1 b c\n")
        wait_for(lambda: os.listdir(markers), "a task to reach SLOW1", job, log)
        server.send(["r1 s", "r2 s"])
        wait_for(
            lambda: {"r1 s", "r2 s"} <= set(logged_lines(wal)), "the receiver to log r1 and r2", job, log
        )
        receivers_worker, receivers_pid = receiver_places(places)[-1]
        os.kill(receivers_pid, signal.SIGKILL)
        (markers / "SLOW1-go").touch()
        wait_for(lambda: len(server.connections) == 2, "the receiver to start again and reconnect", job, log)
        server.send(["t1 s"])
        wait_for(
            lambda: state() == {"a": 3, "b": 2, "c": 1, "s": 4, "r1": 1, "r2": 1, "t1": 1, "SLOW1": 1},
            "the counts after the first kill",
            job,
            log,
        )
        assert receiver_places(places)[-1][0] != receivers_worker

        # kill 2: the worker that reads the state key SLOW2 (the receiver's too, or not)
        server.send(["SLOW2 u1"])
        killed = kill_marked_worker(markers, "SLOW2", job, log)
        (markers / "SLOW2-go").touch()
        move_in(watched, staging, "3.txt", "a d\n")
        wait_for(
            lambda: receiver_places(places)[-1][1] != killed
            and len(server.connections) == len(receiver_places(places)),
            "the receiver to run on a live worker",
            job,
            log,
        )
        server.send(["u2 s"])
        wait_for(
            lambda: state()
            == {
                "a": 4,
                "b": 2,
                "c": 1,
                "d": 1,
                "s": 5,
                "r1": 1,
                "r2": 1,
                "t1": 1,
                "u1": 1,
                "u2": 1,
                "SLOW1": 1,
                "SLOW2": 1,
            },
            "the final state",
            job,
            log,
        )
    finally:
        stop(job)
        server.close()


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
