"""The driver's table of local blocks: one place per block, so each task goes where its
state is, and a copy no task will be sent to again is dropped on its worker."""

from ember_dask.locations import BlockTable


def test_a_task_run_away_from_its_preferred_blocks_has_their_copies_dropped():
    table = BlockTable()
    table.kept_local("tcp://a", ["state/s/1000/0", "state/s/1000/1"], [])
    # Dask stole batch 2's task for partition 0: it computed the state again on b
    table.kept_local("tcp://b", ["state/s/2000/0"], [], preferred=["state/s/2000/0", "state/s/1000/0"])
    assert table.local_holder(["state/s/2000/0", "state/s/1000/0"]) == "tcp://b"
    assert table.take_local_drops() == {"tcp://a": ["state/s/1000/0"]}
    # partition 1 is kept again on b (its task was moved there): a's older copy goes
    table.kept_local("tcp://b", ["state/s/1000/1"], [])
    assert table.take_local_drops() == {"tcp://a": ["state/s/1000/1"]}
    assert table.local_by_worker() == {"tcp://b": 2}
    table.kept_local("tcp://b", ["state/s/3000/0"], ["state/s/2000/0"], preferred=["state/s/3000/0"])
    assert table.take_local_drops() == {}
    assert table.worker_lost("tcp://b") == []  # local blocks are forgotten, never "lost"
    assert table.local_holder(["state/s/3000/0", "state/s/1000/1"]) is None
