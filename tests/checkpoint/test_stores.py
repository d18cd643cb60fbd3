"""Checkpoint stores by URI scheme: the local directory, s3:// on a real moto server, and
the error for a scheme nothing provides."""

from __future__ import annotations

import pytest

from ember.checkpoint import CheckpointDirectory, ValueCodec, open_store
from ember.checkpoint.store import LocalCheckpointStore
from ember.conf import SparkConf
from ember.pluginhost.manager import plugin_manager
from ember.plugins import MissingPluginError


def _exercise(store):
    store.write("checkpoint-1", b"one")
    store.write("state/0-1", b"state")
    store.write("checkpoint-1", b"one again")
    assert store.read("checkpoint-1") == b"one again"
    assert sorted(store.list()) == ["checkpoint-1", "state/0-1"]
    assert store.list("state/") == ["state/0-1"]
    store.delete("state/0-1")
    store.delete("state/0-1")
    assert store.list("state/") == []
    with pytest.raises(FileNotFoundError):
        store.read("state/0-1")


def test_local_store_by_path_and_file_uri(tmp_path):
    store = open_store(str(tmp_path / "a"))
    assert isinstance(store, LocalCheckpointStore)
    _exercise(store)
    by_uri = open_store(f"file://{tmp_path}/a")
    assert by_uri.read("checkpoint-1") == b"one again"


def test_local_store_ignores_and_cleans_interrupted_writes(tmp_path):
    store = open_store(str(tmp_path))
    (tmp_path / ".tmp-123-checkpoint-5").write_bytes(b"half")
    store.write("checkpoint-1", b"x")
    assert store.list() == ["checkpoint-1"]
    store.remove_temporaries()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint-1"]


def test_s3_store_against_moto(s3_bucket):
    store = open_store(f"s3://{s3_bucket}/jobs/wordcount", SparkConf(loadDefaults=False))
    assert type(store).__name__ == "S3CheckpointStore"
    _exercise(store)


def test_checkpoints_in_s3_fall_back_like_local_ones(s3_bucket):
    directory = CheckpointDirectory(open_store(f"s3://{s3_bucket}/ckpt"), ValueCodec(), keep=2)
    for time_ms in (1000, 2000, 3000):
        name = directory.write_state(0, time_ms, [[("k", time_ms)]], "state")
        directory.write_checkpoint(
            {"time": time_ms, "streams": {0: {"state": {"file": name, "time": time_ms}}}}
        )
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


def test_unknown_scheme_lists_the_installed_stores(tmp_path):
    with pytest.raises(MissingPluginError) as caught:
        open_store("hdfs://namenode:8020/checkpoints", SparkConf(loadDefaults=False))
    message = str(caught.value)
    assert "'hdfs://'" in message and "hdfs://namenode:8020/checkpoints" in message
    assert "file:// (built in)" in message and "ember_checkpoint_store" in message
    for record in plugin_manager().implementers("ember_checkpoint_store"):
        assert f"{record.distribution} (plugin)" in message
