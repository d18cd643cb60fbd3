"""kill -9 at random moments: the file word count job must end with exact results.

The job (jobs/file_wordcount.py) counts the words of files arriving in a directory, as running
totals (updateStateByKey) and over a window kept with an inverse function (reduceByKeyAndWindow
with invFunc), both saved with saveAsTextFiles, under getOrCreate.  It is killed with SIGKILL
over and over, some kills landing while a checkpoint file is being written, new files
arriving all the while; then the outputs of every batch are checked against each other and
against a count of all the files.
"""

from __future__ import annotations

import random

import pytest
from chaos import FileFeeder, caught_up, newest_checkpoint, read_outputs, wait_until, writing_checkpoint

BATCH_MS = 250
WINDOW_MS = 5 * BATCH_MS
KILLS = 22


def _difference(later: dict, earlier: dict) -> dict:
    """What was counted between two totals, keys with nothing counted left out."""
    return {key: value - earlier.get(key, 0) for key, value in later.items() if value != earlier.get(key, 0)}


@pytest.mark.timeout(300)
def test_sigkill_at_random_moments_gives_exact_totals_windows_and_outputs(tmp_path, start_job):
    inputs, checkpoints, outputs = (tmp_path / name for name in ("in", "ckpt", "out"))
    inputs.mkdir()
    outputs.mkdir()
    args = [str(inputs), str(checkpoints), str(outputs), str(BATCH_MS / 1000)]
    chance = random.Random(6)
    interrupted_writes = 0
    job = start_job("file_wordcount.py", args)
    # files already there when the stream is created are not new (Spark's rule): feed after
    wait_until(lambda: newest_checkpoint(str(checkpoints)), 60, "the first checkpoint", job)
    with FileFeeder(str(inputs), seed=6) as feeder:
        for kill in range(KILLS):
            before = newest_checkpoint(str(checkpoints))
            wait_until(
                lambda: newest_checkpoint(str(checkpoints)) > before
                and caught_up(str(checkpoints), BATCH_MS),
                60,
                "the job to recover and keep up",
                job,
            )
            if kill % 3 == 2:
                wait_until(lambda: writing_checkpoint(str(checkpoints)), 30, "a checkpoint write", job)
            else:
                later = newest_checkpoint(str(checkpoints)) + chance.randrange(0, 4) * BATCH_MS
                wait_until(
                    lambda: newest_checkpoint(str(checkpoints)) >= later, 30, "a random later batch", job
                )
            job.kill()
            interrupted_writes += writing_checkpoint(str(checkpoints))
            job = start_job("file_wordcount.py", args)
    expected = dict(feeder.counts)

    def totals_complete():
        totals = read_outputs(str(outputs), "totals")
        return totals and totals[max(totals)] == expected

    wait_until(totals_complete, 60, f"the running totals to count all {feeder.files} files", job)
    job.stop()

    assert interrupted_writes >= 1, "no kill landed during a checkpoint write"
    totals, windows = read_outputs(str(outputs), "totals"), read_outputs(str(outputs), "window")
    times = sorted(totals)
    assert times == list(range(times[0], times[-1] + BATCH_MS, BATCH_MS)), "a batch's output is missing"
    assert sorted(windows) == times
    assert totals[times[-1]] == expected, "every file counted exactly once"
    for time_ms in times:
        earlier = totals.get(time_ms - WINDOW_MS, {})
        window = {key: value for key, value in windows[time_ms].items() if value}
        assert window == _difference(totals[time_ms], earlier), f"the window at {time_ms} ms"
        previous = totals.get(time_ms - BATCH_MS, {})
        assert all(
            totals[time_ms].get(key, 0) >= count for key, count in previous.items()
        ), f"totals at {time_ms} ms went down"
