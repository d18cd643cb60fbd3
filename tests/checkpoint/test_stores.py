"""Checkpoint stores by URI scheme: the local directory, and the error for a scheme nothing
provides (ember-s3's tests check s3:// the same way)."""

from __future__ import annotations

import pytest

from ember.checkpoint import open_store
from ember.checkpoint.store import LocalCheckpointStore
from ember.conf import SparkConf
from ember.pluginhost.manager import plugin_manager
from ember.plugins import MissingPluginError
from ember.plugins.testing import check_checkpoint_store


def test_local_store_by_path_and_file_uri(tmp_path):
    store = open_store(str(tmp_path / "a"))
    assert isinstance(store, LocalCheckpointStore)
    check_checkpoint_store(store)
    by_uri = open_store(f"file://{tmp_path}/a")
    assert by_uri.read("checkpoint-1") == b"one again"


def test_local_store_ignores_and_cleans_interrupted_writes(tmp_path):
    store = open_store(str(tmp_path))
    (tmp_path / ".tmp-123-checkpoint-5").write_bytes(b"half")
    store.write("checkpoint-1", b"x")
    assert store.list() == ["checkpoint-1"]
    store.remove_temporaries()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint-1"]


def test_unknown_scheme_lists_the_installed_stores(tmp_path):
    with pytest.raises(MissingPluginError) as caught:
        open_store("hdfs://namenode:8020/checkpoints", SparkConf(loadDefaults=False))
    message = str(caught.value)
    assert "'hdfs://'" in message and "hdfs://namenode:8020/checkpoints" in message
    assert "file:// (built in)" in message and "ember_checkpoint_store" in message
    for record in plugin_manager().implementers("ember_checkpoint_store"):
        assert f"{record.distribution} (plugin)" in message
