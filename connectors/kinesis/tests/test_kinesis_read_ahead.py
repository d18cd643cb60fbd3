"""The Kinesis source reads its shards ahead of the batches (against a real kinesalite): records
are read before the first batch, a full buffer stops the reading, checkpoints hold what batches
took rather than what was read ahead, and a reader's fatal error fails the next batch."""

from __future__ import annotations

import pytest
from test_kinesis_stream import ranges_of, stream_of

from ember.plugins.testing import wait_until
from ember.testing import advance_batches, collect_outputs, manual_streaming_context
from ember_kinesis import KinesisStreamNotFound
from ember_kinesis.client import KinesisAccess
from ember_kinesis.source import KinesisSource
from ember_kinesis.utils import utf8_decoder

TRIM_HORIZON = 1
#: with maxRatePerShard=5 on 1 s batches: 5 records per shard and batch, 4 batches read ahead
RATE_5 = pytest.mark.spark_conf(spark__streaming__kinesis__maxRatePerShard="5")
PER_BATCH, BOUND = 5, 20


@pytest.fixture
def manual_ssc(sc):
    """A StreamingContext of 1 s batches whose clock moves only when the test advances it."""
    context = manual_streaming_context(sc, 1)
    try:
        yield context
    finally:
        context.stop(stopSparkContext=False)


def put_by_shard(kinesis, name: str, count: int) -> dict[str, list[tuple[str, str]]]:
    """Put records ``r0`` ... one request each; (value, sequence number) by shard, in order."""
    by_shard: dict[str, list[tuple[str, str]]] = {}
    for i in range(count):
        put = kinesis.client.put_record(StreamName=name, PartitionKey=f"k{i}", Data=b"r%d" % i)
        by_shard.setdefault(put["ShardId"], []).append((f"r{i}", put["SequenceNumber"]))
    return by_shard


def filled_to(source: KinesisSource, least: dict[str, int]) -> dict[str, int] | None:
    """The records each shard has read ahead, once each has at least ``least``."""
    buffered = source.read_ahead.buffered()
    return buffered if all(buffered.get(shard, 0) >= count for shard, count in least.items()) else None


def test_records_written_before_the_first_batch_are_read_ahead_into_it(manual_ssc, kinesis):
    name = kinesis.create_stream(shards=2)
    sent = [f"early{i}" for i in range(40)]
    kinesis.put(name, [(value, value.encode()) for value in sent])
    stream = stream_of(manual_ssc, kinesis, name)
    outputs = collect_outputs(stream)
    manual_ssc.start()
    # no batch has run: the clock has not moved
    wait_until(lambda: sum(stream.source.read_ahead.buffered().values()) == 40, what="40 records read ahead")
    advance_batches(manual_ssc, 1)
    assert sorted(outputs[0]) == sorted(sent)
    assert stream.source.read_ahead.buffered() == {"shardId-000000000000": 0, "shardId-000000000001": 0}


@RATE_5
def test_a_full_buffer_stops_reading_and_batches_get_every_record_once_in_order(manual_ssc, kinesis):
    name = kinesis.create_stream(shards=2)
    by_shard = put_by_shard(kinesis, name, 70)
    assert all(len(records) > BOUND for records in by_shard.values())
    stream = stream_of(manual_ssc, kinesis, name)
    outputs = collect_outputs(stream)
    batch_ranges = ranges_of(stream)
    manual_ssc.start()
    left = {shard: len(records) for shard, records in by_shard.items()}
    while any(left.values()):
        full = {shard: min(BOUND, count) for shard, count in left.items()}
        buffered = wait_until(lambda: filled_to(stream.source, full), what=f"buffers of {full}")
        assert buffered == full  # not a record past the bound, though more are in the shard
        advance_batches(manual_ssc, 1)
        left = {shard: max(0, count - PER_BATCH) for shard, count in left.items()}
    for shard, records in by_shard.items():
        shard_of_value = {value: shard for value, _ in records}
        got = [value for batch in outputs for value in batch if shard_of_value.get(value) == shard]
        assert got == [value for value, _ in records]
    assert max(r.count() for ranges in batch_ranges for r in ranges) == PER_BATCH


@RATE_5
def test_checkpointed_positions_are_those_taken_not_those_read_ahead(manual_ssc, kinesis):
    name = kinesis.create_stream(shards=2)
    by_shard = put_by_shard(kinesis, name, 70)
    stream = stream_of(manual_ssc, kinesis, name)
    batch_ranges = ranges_of(stream)
    manual_ssc.start()
    advance_batches(manual_ssc, 2)  # 10 records taken from each shard
    wait_until(
        lambda: stream.source.read_ahead.buffered() == {shard: BOUND for shard in by_shard},
        what="20 more records read ahead in each shard",
    )
    manual_ssc.stop(stopSparkContext=False)
    recorded = dict(enumerate(batch_ranges))
    assert {r.partition: r.end for r in recorded[1]} == {
        shard: records[2 * PER_BATCH - 1][1] for shard, records in by_shard.items()
    }
    restored = KinesisSource(
        KinesisAccess(name, kinesis.endpoint, "us-east-1", "test-key", "test-secret"),
        TRIM_HORIZON,
        utf8_decoder,
    )
    restored.start(None)
    try:
        restored.restore(recorded)
        ranges = restored.next_ranges(3000, None)
        batch = {r.partition: restored.prefetched(r) for r in ranges}
        assert batch == {shard: [value for value, _ in records[10:]] for shard, records in by_shard.items()}
        assert {r.partition: list(restored.read(r)) for r in ranges} == batch
    finally:
        restored.stop()


@RATE_5
def test_children_read_ahead_are_taken_only_after_their_parent_was_taken_to_its_end(manual_ssc, kinesis):
    name = kinesis.create_stream(shards=1)
    parent = "shardId-000000000000"
    keys = [f"key-{i}" for i in range(12)]
    kinesis.put(name, [(key, f"{key}:before".encode()) for key in keys])
    stream = stream_of(manual_ssc, kinesis, name)
    outputs = collect_outputs(stream)
    batch_ranges = ranges_of(stream)
    manual_ssc.start()
    wait_until(lambda: filled_to(stream.source, {parent: 12}), what="the parent read ahead")
    kinesis.split(name, parent)
    kinesis.put(name, [(key, f"{key}:after".encode()) for key in keys])
    wait_until(stream.source.read_ahead.children_missing, what="the parent read to its end")
    advance_batches(manual_ssc, 1)  # takes 5 of the parent's 12, and lists its children
    wait_until(
        lambda: sum(n for shard, n in stream.source.read_ahead.buffered().items() if shard != parent) == 12,
        what="the children read ahead",
    )
    advance_batches(manual_ssc, 3)
    while sum(map(len, outputs)) < 24 and len(outputs) < 8:  # each child: 5 records a batch
        advance_batches(manual_ssc, 1)
    # the parent's 12 records in 3 batches, the children's from the 4th
    assert [{r.partition: r.count() for r in ranges} for ranges in batch_ranges[:3]] == [
        {parent: 5},
        {parent: 5},
        {parent: 2},
    ]
    assert [len(batch) for batch in outputs[:3]] == [5, 5, 2]
    assert all(value.endswith(":after") for batch in outputs[3:] for value in batch)
    assert sorted(v for batch in outputs for v in batch) == sorted(
        f"{key}:{when}" for key in keys for when in ("before", "after")
    )


def test_a_fatal_error_on_a_reader_thread_fails_the_next_batch_with_the_clear_error(ssc, kinesis):
    name = kinesis.create_stream(shards=1)
    kinesis.put(name, [("k", b"first")])
    stream = stream_of(ssc, kinesis, name)
    outputs = collect_outputs(stream)
    ssc.start()
    wait_until(lambda: ["first"] in outputs, what="the first record")
    kinesis.client.delete_stream(StreamName=name)
    with pytest.raises(
        KinesisStreamNotFound,
        match=rf"^Kinesis stream '{name}' at {kinesis.endpoint} \(us-east-1\) does not exist \(while reading\)",
    ):
        ssc.awaitTerminationOrTimeout(30)
