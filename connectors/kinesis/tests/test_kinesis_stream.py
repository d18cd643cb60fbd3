"""KinesisUtils.createStream against a real kinesalite on 127.0.0.1, including a job killed with
SIGKILL and recovered from its checkpoint (every record counted exactly once)."""

from __future__ import annotations

import subprocess
import sys
import types
from datetime import datetime, timedelta, timezone

import cloudpickle
import pytest
from kinesalite_server import kpl_aggregate
from services import SuiteServer
from stream_batches import Collected
from stream_jobs import TotalsJob, counted_across_a_kill

from ember.plugins.testing import free_port, installed_script, wait_until
from ember.streaming.kinesis import InitialPositionInStream, KinesisUtils
from ember_kinesis import KinesisCredentialsError, KinesisStreamNotFound, KinesisUnreachable
from ember_kinesis.client import KinesisAccess, call
from ember_kinesis.source import KinesisSource

TRIM_HORIZON = InitialPositionInStream.TRIM_HORIZON


def ranges_of(stream) -> list[list]:
    """Every batch's recorded position ranges (``rdd.offsetRanges()``), in batch order."""
    batches: list[list] = []
    stream.foreachRDD(lambda rdd: batches.append(rdd.offsetRanges()))
    return batches


def stream_of(ssc, kinesis, name, position=TRIM_HORIZON, **options):
    return KinesisUtils.createStream(
        ssc,
        "ember-test-app",
        name,
        kinesis.endpoint,
        "us-east-1",
        position,
        2,
        awsAccessKeyId="test-key",
        awsSecretKey="test-secret",
        **options,
    )


def test_word_count_reads_every_shard_once(ssc, kinesis):
    name = kinesis.create_stream(shards=3)
    kinesis.put(name, [(f"k{i}", f"to be or not {i % 2}".encode()) for i in range(30)])
    counts = (
        stream_of(ssc, kinesis, name).flatMap(str.split).map(lambda w: (w, 1)).reduceByKey(lambda a, b: a + b)
    )
    seen = Collected(counts)
    ssc.start()
    seen.wait_for(lambda records: sum(n for _, n in records) == 150)
    totals: dict[str, int] = {}
    for word, count in seen.records:
        totals[word] = totals.get(word, 0) + count
    assert totals == {"to": 30, "be": 30, "or": 30, "not": 30, "0": 15, "1": 15}


def test_resharding_mid_stream_reads_parents_to_their_end_before_children(ssc, kinesis):
    name = kinesis.create_stream(shards=1)
    keys = [f"key-{i}" for i in range(8)]
    kinesis.put(name, [(key, f"{key}:before".encode()) for key in keys])
    stream = stream_of(ssc, kinesis, name)
    seen = Collected(stream)
    batch_ranges = ranges_of(stream)
    ssc.start()
    seen.wait_for(lambda records: len(records) == 8)
    kinesis.split(name, "shardId-000000000000")
    kinesis.put(name, [(key, f"{key}:after".encode()) for key in keys])
    seen.wait_for(lambda records: len(records) == 16)
    assert sorted(seen.records) == sorted(f"{k}:{w}" for k in keys for w in ("before", "after"))
    for key in keys:  # per key, the parent's record comes first
        mine = [r for r in seen.records if r.startswith(f"{key}:")]
        assert mine == [f"{key}:before", f"{key}:after"]
    shards_read = [{r.partition for r in ranges if r.count()} for ranges in batch_ranges]
    shards_read = [shards for shards in shards_read if shards]
    assert shards_read[0] == {"shardId-000000000000"}
    assert set().union(*shards_read[1:]) == {"shardId-000000000001", "shardId-000000000002"}


def test_kpl_aggregated_records_are_split_into_user_records(ssc, kinesis):
    name = kinesis.create_stream(shards=1)
    fake_magic = b"\xf3\x89\x9a\xc2 not an aggregate, the checksum does not match" + bytes(16)
    kinesis.put(
        name,
        [
            ("a", kpl_aggregate("a", [b"one", b"two", b"three"])),
            ("b", b"plain"),
            ("c", fake_magic),
            ("d", kpl_aggregate("d", [b"four"])),
        ],
    )
    seen = Collected(stream_of(ssc, kinesis, name, decoder=bytes))
    ssc.start()
    seen.wait_for(lambda records: len(records) == 6)
    assert seen.records == [b"one", b"two", b"three", b"plain", fake_magic, b"four"]


def test_recorded_ranges_replay_exactly_the_same_records(ssc, kinesis):
    name = kinesis.create_stream(shards=2)
    kinesis.put(name, [(f"early{i}", kpl_aggregate("k", [b"a%d" % i, b"b%d" % i])) for i in range(5)])
    stream = stream_of(ssc, kinesis, name)
    seen = Collected(stream)
    batch_ranges = ranges_of(stream)
    ssc.start()
    seen.wait_for(lambda records: len(records) == 10)
    kinesis.put(name, [(f"late{i}", b"late%d" % i) for i in range(10)])
    seen.wait_for(lambda records: len(records) == 20)
    ssc.stop(stopSparkContext=False)
    ranges = [r for batch in batch_ranges for r in batch]
    assert sum(r.count() for r in ranges) == 20
    replayed = [record for r in ranges for record in stream.source.read(r)]
    assert sorted(replayed) == sorted(seen.records)


def test_a_restored_source_continues_every_shard_after_the_newest_batch(ssc, kinesis):
    """The newest batch alone carries every shard's position (idle shards as empty ranges)."""
    name = kinesis.create_stream(shards=3)
    kinesis.put(name, [(f"k{i}", b"old%d" % i) for i in range(30)])
    stream = stream_of(ssc, kinesis, name)
    seen = Collected(stream)
    batch_ranges = ranges_of(stream)
    ssc.start()
    seen.wait_for(lambda records: len(records) == 30)
    batches_then = len(batch_ranges)
    seen.wait_for(lambda records: len(batch_ranges) > batches_then, what="a batch with nothing new")
    ssc.stop(stopSparkContext=False)
    newest = batch_ranges[-1]
    assert len(newest) == 3 and all(r.count() == 0 for r in newest)
    kinesis.put(name, [(f"k{i}", b"new%d" % i) for i in range(9)])
    restored = KinesisSource(
        KinesisAccess(name, kinesis.endpoint, "us-east-1", "test-key", "test-secret"),
        TRIM_HORIZON,
        bytes.decode,
    )
    restored.start(None)
    try:
        restored.restore({1: newest})
        records = [record for r in restored.next_ranges(2, None) for record in restored.read(r)]
    finally:
        restored.stop()
    assert sorted(records) == sorted(f"new{i}" for i in range(9))


@pytest.mark.spark_conf(spark__streaming__kinesis__maxRatePerShard="50")
def test_max_rate_per_shard_bounds_each_batch(ssc, kinesis):
    name = kinesis.create_stream(shards=1)
    kinesis.put(name, [("k", b"%d" % i) for i in range(20)])
    stream = stream_of(ssc, kinesis, name)
    seen = Collected(stream)
    batch_ranges = ranges_of(stream)
    ssc.start()
    seen.wait_for(lambda records: len(records) == 20)
    assert seen.records == [str(i) for i in range(20)]
    assert max(r.count() for ranges in batch_ranges for r in ranges) == 5  # 50/s over 0.1 s batches


def test_latest_skips_what_was_there_before(ssc, kinesis):
    name = kinesis.create_stream(shards=1)
    kinesis.put(name, [("k", b"old")])
    stream = stream_of(ssc, kinesis, name, position=InitialPositionInStream.LATEST)
    seen = Collected(stream)
    ssc.start()
    kinesis.put(name, [("k", b"new")])  # before the first batch, maybe: still after "latest"
    seen.wait_for(lambda records: "new" in records)
    assert seen.records == ["new"]


def test_at_timestamp_starts_at_the_first_record_written_then(ssc, kinesis):
    name = kinesis.create_stream(shards=1)
    kinesis.put(name, [("k", b"earlier")])
    iterator = kinesis.client.get_shard_iterator(
        StreamName=name, ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    earlier = kinesis.client.get_records(ShardIterator=iterator)["Records"][0]["ApproximateArrivalTimestamp"]
    # botocore sends whole seconds: start at the next second, and write the later record after it
    after_earlier = (earlier + timedelta(seconds=1)).replace(microsecond=0)
    wait_until(
        lambda: datetime.now(timezone.utc) > after_earlier + timedelta(milliseconds=5),
        what="the clock to pass the next whole second",
    )
    kinesis.put(name, [("k", b"later")])
    seen = Collected(
        stream_of(ssc, kinesis, name, position=InitialPositionInStream.atTimestamp(after_earlier))
    )
    ssc.start()
    seen.wait_for(lambda records: "later" in records)
    assert seen.records == ["later"]


def throttle_first_calls(client, count: int) -> list[int]:
    """Make the driver's client answer its next ``count`` GetRecords with Kinesis's throttling
    error (as botocore would parse it), before the real calls go through."""
    throttled = []

    def maybe_throttle(**kwargs):
        if len(throttled) < count:
            throttled.append(1)
            return (
                types.SimpleNamespace(status_code=400, headers={}),
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "Rate exceeded"}},
            )
        return None

    client.meta.events.register("before-call.kinesis.GetRecords", maybe_throttle)
    return throttled


def test_throttled_shards_back_off_and_lose_nothing(ssc, kinesis):
    name = kinesis.create_stream(shards=2)
    sent = [f"t{i}" for i in range(40)]
    kinesis.put(name, [(value, value.encode()) for value in sent])
    stream = stream_of(ssc, kinesis, name)
    throttled = throttle_first_calls(stream.source.client, 4)
    seen = Collected(stream)
    ssc.start()
    seen.wait_for(lambda records: len(records) >= 40)
    assert len(throttled) == 4
    assert sorted(seen.records) == sorted(sent)


def test_task_reads_retry_through_throttling(kinesis):
    name = kinesis.create_stream(shards=1)
    kinesis.put(name, [("k", b"x")])
    access = KinesisAccess(name, kinesis.endpoint, "us-east-1", "test-key", "test-secret")
    client = access.open()
    throttled = throttle_first_calls(client, 3)
    iterator = client.get_shard_iterator(
        StreamName=name, ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    pauses = []
    answer = call(access, "reading", lambda: client.get_records(ShardIterator=iterator), sleep=pauses.append)
    assert [r["Data"] for r in answer["Records"]] == [b"x"]
    assert pauses == [0.1, 0.2, 0.4] and len(throttled) == 3


@pytest.fixture
def sts_endpoint(tmp_path, monkeypatch):
    """A moto server answering STS, set as boto3's STS endpoint before any worker starts."""
    port = free_port()
    server = SuiteServer(
        "moto_server", [installed_script("moto_server"), "-H", "127.0.0.1", "-p", str(port)], port, tmp_path
    ).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", f"http://127.0.0.1:{port}")
    yield
    server.stop()


def test_reads_with_the_credentials_of_an_assumed_role(sts_endpoint, ssc, kinesis):
    name = kinesis.create_stream(shards=1)
    kinesis.put(name, [("k", b"through a role")])
    stream = KinesisUtils.createStream(
        ssc,
        "app",
        name,
        kinesis.endpoint,
        "us-east-1",
        TRIM_HORIZON,
        2,
        awsAccessKeyId="base-key",
        awsSecretKey="base-secret",
        stsAssumeRoleArn="arn:aws:iam::123456789012:role/reader",
        stsSessionName="ember-test",
        stsExternalId="outside",
    )
    seen = Collected(stream)
    ssc.start()
    seen.wait_for(lambda records: records == ["through a role"])
    signing = stream.source.client._request_signer._credentials.get_frozen_credentials()
    assert signing.access_key != "base-key" and signing.token, "requests must be signed with the role's keys"


def test_missing_stream_is_a_clear_error(ssc, kinesis):
    Collected(stream_of(ssc, kinesis, "no-such-stream"))
    with pytest.raises(KinesisStreamNotFound, match="'no-such-stream' at http://127.0.0.1.*does not exist"):
        ssc.start()


def test_unreachable_endpoint_is_a_clear_error(ssc):
    endpoint = f"http://127.0.0.1:{free_port()}"
    Collected(
        KinesisUtils.createStream(
            ssc, "app", "s", endpoint, "us-east-1", TRIM_HORIZON, 2, awsAccessKeyId="k", awsSecretKey="s"
        )
    )
    with pytest.raises(KinesisUnreachable, match="cannot reach Kinesis stream 's' at " + endpoint):
        ssc.start()


def test_no_credentials_is_a_clear_error_and_secrets_stay_out_of_messages(
    ssc, kinesis, tmp_path, monkeypatch
):
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    name = kinesis.create_stream(shards=1)
    Collected(KinesisUtils.createStream(ssc, "app", name, kinesis.endpoint, "us-east-1", TRIM_HORIZON, 2))
    with pytest.raises(KinesisCredentialsError, match="no AWS credentials.*awsAccessKeyId"):
        ssc.start()
    secret = KinesisAccess(name, kinesis.endpoint, "us-east-1", "AKIDEXAMPLE", "very-secret-key")
    assert "very-secret-key" not in repr(secret) and "AKIDEXAMPLE" not in repr(secret)


@pytest.mark.parametrize(
    "arguments, message",
    [
        (dict(initialPositionInStream=InitialPositionInStream.AT_TIMESTAMP), "needs its time"),
        (dict(initialPositionInStream=7), "must be InitialPositionInStream.LATEST"),
        (dict(checkpointInterval=0), "checkpointInterval must be a positive number"),
        (dict(awsAccessKeyId="only-the-id"), "give both awsAccessKeyId and awsSecretKey"),
        (dict(streamName=""), "streamName must be a non-empty string"),
    ],
)
def test_argument_mistakes_are_clear_errors(ssc, arguments, message):
    base = dict(
        kinesisAppName="app",
        streamName="s",
        endpointUrl="http://127.0.0.1:1",
        regionName="us-east-1",
        initialPositionInStream=TRIM_HORIZON,
        checkpointInterval=2,
    )
    with pytest.raises(ValueError, match=message):
        KinesisUtils.createStream(ssc, **{**base, **arguments})


def test_kinesis_records_are_counted_exactly_once_across_a_sigkill(tmp_path, kinesis):
    name = kinesis.create_stream(shards=2)
    job = TotalsJob(tmp_path, "kinesis", kinesis.endpoint, name).start()

    def put(batch: list[str]) -> bool:
        kinesis.client.put_records(
            StreamName=name, Records=[{"Data": r.encode(), "PartitionKey": r} for r in batch]
        )
        return True

    counted = counted_across_a_kill(job, put)
    assert counted.totals == {record: 1 for record in counted.acknowledged}


def test_a_task_given_the_records_the_driver_read_does_not_import_boto3():
    """Unpickling the source (what every task of a batch does) leaves boto3 unimported: a
    worker imports it only when it has to read a range itself."""
    source = KinesisSource(KinesisAccess("s", "http://127.0.0.1:1", "us-east-1"), TRIM_HORIZON, bytes.decode)
    check = (
        "import pickle, sys; pickle.loads(sys.stdin.buffer.read()); "
        "print(sorted(m for m in ('boto3', 'botocore') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", check], input=cloudpickle.dumps(source), capture_output=True, check=True
    )
    assert done.stdout.decode().strip() == "[]"
