"""A scenario every executor's tests run: a failed stage is reported only once its other
running tasks have ended."""

from __future__ import annotations

import os
import time

import pytest

#: how long one task waits for the other to reach its step
STEP_SECONDS = 60


def _wait_for(path: str) -> None:
    deadline = time.monotonic() + STEP_SECONDS
    while not os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.005)


def check_a_failed_stage_waits_for_its_running_tasks(sc, tmp_path) -> None:
    """What follows a failure (a sink's abort removing the batch's files) must not race a task
    of the stage that is still running: partition 1 is still at work when partition 0 fails."""
    started, failed, ended = (str(tmp_path / name) for name in ("started", "failed", "ended"))

    def work(index, records):
        if index == 0:
            _wait_for(started)  # both tasks run at once
            open(failed, "w").close()
            raise RuntimeError("partition 0 failed")
        open(started, "w").close()
        _wait_for(failed)
        time.sleep(0.3)  # a straggler: still writing when the failure reaches the driver
        open(ended, "w").close()
        return records

    with pytest.raises(Exception, match="partition 0 failed"):
        sc.parallelize([1, 2], 2).mapPartitionsWithIndex(work).collect()
    assert os.path.exists(ended)
    assert sc.parallelize(range(4), 2).sum() == 6  # both workers are free again
