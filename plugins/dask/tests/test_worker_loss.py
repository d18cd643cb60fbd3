"""Dask workers SIGKILLed in the middle of batches of a stateful, checkpointed job: the tasks
they ran run elsewhere, the blocks they held are rebuilt (shuffle outputs by re-running their
map tasks; the state from its replica) and the final state is exact."""

import json
import os
import signal

from dask_helpers import run_job, stop, wait_for


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
