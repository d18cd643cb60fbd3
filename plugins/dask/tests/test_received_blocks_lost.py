"""Both Dask workers that hold a batch's received blocks (the receiver's and the one keeping
the copy) SIGKILLed after the batch took the blocks and before its tasks read them: with the
write-ahead log on, the blocks are stored again from the log, each with the records it held,
and the final state is exact; with the log off, the batch fails saying so in one line."""

import json
import os
import signal

from dask_helpers import run_job, stop, wait_for
from receiver_checks import LineServer
from test_worker_loss import move_in, read_state, receiver_places


def held_job(tmp_path, server: LineServer, write_ahead_log: bool):
    """Start ``held_receiver_job`` on dask-local[3]; returns the job, its log and its files."""
    files = {name: tmp_path / name for name in ("in", "staging", "markers")}
    for directory in files.values():
        directory.mkdir()
    files.update(output=tmp_path / "state.json", places=tmp_path / "receivers", log=tmp_path / "job.log")
    job = run_job(
        "held_receiver_job.py",
        "dask-local[3]",
        str(server.port),
        str(files["in"]),
        str(tmp_path / "checkpoint"),
        str(files["markers"]),
        str(files["output"]),
        str(files["places"]),
        str(write_ahead_log).lower(),
        log=files["log"],
    )
    return job, files


def socket_records(places) -> list[int]:
    """The socket stream's record count of each batch generated so far."""
    return [int(count) for count in (places.parent / f"{places.name}.batches").read_text().split()]


def lose_the_blocks_of_a_held_back_batch(job, files, server: LineServer) -> None:
    """Count "s a", hold the next batch (a file line SLOW1), have the receiver hand over
    "x1 s" and "x2 s" to a batch queued behind it, kill the receiver's worker and the one
    after it (received blocks are copied to the next worker by address), let the batches go."""
    log, markers, places = files["log"], files["markers"], files["places"]
    wait_for(lambda: server.connections and receiver_places(places), "the receiver to connect", job, log)
    server.send(["s a"])
    wait_for(lambda: read_state(files["output"]) == {"a": 1, "s": 1}, "the first line's counts", job, log)

    move_in(files["in"], files["staging"], "1.txt", "SLOW1 b\n")
    wait_for(lambda: os.listdir(markers), "a task to reach SLOW1", job, log)
    seen = len(socket_records(places))
    server.send(["x1 s", "x2 s"])
    wait_for(lambda: 2 in socket_records(places)[seen:], "a batch behind it to take x1 and x2", job, log)

    workers = json.loads((places.parent / f"{places.name}.workers").read_text())
    assert len(workers) == 3
    receivers_worker, receivers_pid = receiver_places(places)[-1]
    addresses = sorted(workers)
    copy_holder = addresses[(addresses.index(receivers_worker) + 1) % len(addresses)]
    os.kill(receivers_pid, signal.SIGKILL)
    os.kill(workers[copy_holder], signal.SIGKILL)
    (markers / "SLOW1-go").touch()


def test_received_blocks_lost_with_both_their_workers_are_rebuilt_from_the_log(tmp_path):
    server = LineServer()
    job, files = held_job(tmp_path, server, write_ahead_log=True)
    try:
        lose_the_blocks_of_a_held_back_batch(job, files, server)
        wait_for(
            lambda: read_state(files["output"]) == {"a": 1, "b": 1, "s": 3, "x1": 1, "x2": 1, "SLOW1": 1},
            "the final state",
            job,
            files["log"],
        )
    finally:
        stop(job)
        server.close()
    assert "were lost with their workers: 1 stored again from the write-ahead log" in files["log"].read_text()


def test_without_the_log_received_blocks_lost_with_both_their_workers_fail_the_batch(tmp_path):
    server = LineServer()
    job, files = held_job(tmp_path, server, write_ahead_log=False)
    try:
        lose_the_blocks_of_a_held_back_batch(job, files, server)
        wait_for(lambda: job.poll() is not None, "the job to fail", None, files["log"])
    finally:
        stop(job)
        server.close()
    failures = [line for line in files["log"].read_text().splitlines() if "Streaming batch failed" in line]
    assert failures, files["log"].read_text()
    assert "ReceivedBlocksLostError('received blocks of batch " in failures[0]
    assert "were lost with their workers and the write-ahead log is off: received/" in failures[0]
    assert job.returncode != 0
