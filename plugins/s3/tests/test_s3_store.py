"""ember-s3's checkpoint store against a real moto S3 server: the store contract, the
fall-back over a damaged checkpoint, and the endpoint taken from Spark's setting."""

from __future__ import annotations

from checkpoint_documents import document

from ember import SparkConf
from ember.checkpoint import CheckpointDirectory, ValueCodec, open_store
from ember.plugins.testing import check_checkpoint_store


def test_s3_store_against_moto(s3_bucket):
    store = open_store(f"s3://{s3_bucket}/jobs/wordcount", SparkConf(loadDefaults=False))
    assert type(store).__name__ == "S3CheckpointStore"
    check_checkpoint_store(store)


def test_checkpoints_in_s3_fall_back_like_local_ones(s3_bucket):
    directory = CheckpointDirectory(open_store(f"s3://{s3_bucket}/ckpt"), ValueCodec(), keep=2)
    for time_ms in (1000, 2000, 3000):
        name = directory.write_state(0, time_ms, [[("k", time_ms)]], "state")
        directory.write_checkpoint(document(time_ms, {0: {"state": {"file": name, "time": time_ms}}}))
    assert directory.checkpoint_times() == [2000, 3000]
    directory.store.write("checkpoint-3000", directory.store.read("checkpoint-3000")[:-4])
    loaded = directory.load_latest()
    assert loaded.time_ms == 2000 and loaded.states[0] == [[("k", 2000)]]


def test_s3_endpoint_from_spark_setting(s3_bucket, moto_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9")  # nothing listens there
    conf = SparkConf(loadDefaults=False).set("spark.hadoop.fs.s3a.endpoint", moto_endpoint)
    store = open_store(f"s3://{s3_bucket}/p", conf)
    store.write("checkpoint-1", b"x")
    assert store.list() == ["checkpoint-1"]
