"""Local blocks: objects a process keeps between tasks; forgetting one leaves its namesakes."""

from ember.executor.base import LocalBlocks, TaskContext


def test_dropping_one_local_block_keeps_those_whose_ids_it_begins():
    local = LocalBlocks()
    context = TaskContext(0, 0, 0, blocks=None, local=local)
    for block_id in ("state/s/1000/1", "state/s/1000/10", "state/s/10000/1"):
        context.keep_local(block_id, {block_id: 1})
    context.drop_local("state/s/1000/1")
    context.drop_local("state/s/1000/7")  # never kept: nothing to report
    assert context.kept == ["state/s/1000/1", "state/s/1000/10", "state/s/10000/1"]
    assert context.dropped == ["state/s/1000/1"]
    assert context.local_block("state/s/1000/10") == {"state/s/1000/10": 1}
    assert local.drop(["state/s/1000/"]) == ["state/s/1000/10"]  # a prefix drops a batch
    assert context.local_block("state/s/10000/1") == {"state/s/10000/1": 1}
