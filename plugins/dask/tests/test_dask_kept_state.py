"""A stream's state stays in the memory of the Dask worker that computed it: the next batch's
task for that partition runs there and updates it, as on local[N]'s pool."""

import pytest
from dask_helpers import STATE_TOTALS, StateJob

from ember import SparkContext


@pytest.mark.parametrize("master", ["local[2]", "dask-local[2]"])
def test_each_batch_updates_the_state_kept_by_the_previous_one(master, tmp_path):
    sc = SparkContext(master, "kept-state")
    try:
        job = StateJob(sc, tmp_path, batch_seconds=1)  # encoded at 10 s: not in these 3 batches
        job.advance(3)
        outputs = job.stop()
    finally:
        sc.stop()
    assert outputs == STATE_TOTALS[:3]
    # batch 1 updates a and b, batch 2 the kept a and b and the new c, batch 3 a, b, c and d;
    # a state computed again from its lineage would update the earlier batches' keys again
    assert job.updates() == 2 + 3 + 4
