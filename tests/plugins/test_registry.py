"""The registry: kinds by name, missing plugins named, broken plugins isolated."""

from __future__ import annotations

import importlib
import re
import sys

import pytest

from ember import SparkContext
from ember.executor.inprocess import InProcessExecutor
from ember.pluginhost import registry
from ember.pluginhost.manager import plugin_checkpoint_store
from ember.plugins import MissingPluginError, PluginError, SinkKind, SourceKind
from ember.plugins.errors import install_command


def test_missing_kinds_name_the_distribution_to_install(plugins):
    plugins()
    cases = [
        (lambda: registry.source_kind("socket"), "ember-socket"),
        (lambda: registry.source_kind("text-files"), "ember-files"),
        (lambda: registry.sink_kind("text-files"), "ember-sink-files"),
        (lambda: registry.connector_api("kafka"), "ember-kafka"),
        (lambda: registry.open_filesystem("/tmp/x"), "ember-files"),
    ]
    for call, distribution in cases:
        with pytest.raises(ImportError, match=re.escape(install_command(distribution)) + "$"):
            call()


def test_an_unknown_kind_says_how_to_find_one(plugins):
    plugins()
    with pytest.raises(MissingPluginError, match="python -m ember plugins"):
        registry.source_kind("carrier-pigeon")


def test_a_broken_hook_is_reported_and_the_other_plugins_still_answer(plugins, make_plugin):
    def broken():
        raise RuntimeError("source kinds exploded")

    good = make_plugin("good", ember_source_kinds=lambda: [SourceKind("good", lambda ssc: None)])
    wrong_type = make_plugin("wrong", ember_source_kinds=lambda: ["not a SourceKind"])
    manager = plugins(good=good, broken=make_plugin("broken", ember_source_kinds=broken), wrong=wrong_type)
    assert list(registry.source_kinds()) == ["good"]
    errors = {record.distribution: record.errors for record in manager.plugins()}
    assert errors["test-good"] == []
    assert "source kinds exploded" in errors["test-broken"][0]
    assert "expected SourceKind objects" in errors["test-wrong"][0]


def test_a_module_that_does_not_fit_the_specs_is_reported_not_registered(plugins, make_plugin):
    misfit = make_plugin("misfit", ember_executor=lambda url, extra: None)  # wrong argument names
    manager = plugins(misfit=misfit)
    [record] = manager.plugins()
    assert not record.loaded and "failed to load" in record.errors[0]


def test_two_plugins_claiming_one_kind_is_an_error_naming_both(plugins, make_plugin):
    def kinds():
        return [SinkKind("same", lambda **options: None)]

    plugins(first=make_plugin("a", ember_sink_kinds=kinds), second=make_plugin("b", ember_sink_kinds=kinds))
    with pytest.raises(PluginError, match="test-first and test-second|test-second and test-first"):
        registry.sink_kinds()


def test_the_executor_and_checkpoint_store_hooks_choose_by_scheme_first_answer_wins(plugins, make_plugin):
    def executor(master, conf):
        return InProcessExecutor(1, 1) if master.startswith("inproc://") else None

    def refuse(master, conf):
        return None

    stores = make_plugin(
        "stores",
        ember_checkpoint_store=lambda uri, conf: f"store for {uri}" if uri.startswith("mem://") else None,
    )
    plugins(
        refuse=make_plugin("r", ember_executor=refuse),
        inproc=make_plugin("i", ember_executor=executor),
        stores=stores,
    )
    with SparkContext("inproc://anywhere", "plugin-executor") as sc:
        assert sc.parallelize([1, 2, 3]).map(lambda x: x * 2).collect() == [2, 4, 6]
    assert plugin_checkpoint_store("mem://x", None) == "store for mem://x"
    assert plugin_checkpoint_store("hdfs://x", None) is None
    with pytest.raises(ValueError, match="plugin"):
        SparkContext("yarn://cluster", "no-such-executor")


def test_connector_shims_resolve_to_the_installed_api_or_name_the_package(plugins, make_plugin):
    class FlumeUtils:
        @staticmethod
        def createStream(ssc, hostname, port):
            return ("stream", hostname, port)

    api = type(sys)("fake_flume_api")
    api.FlumeUtils = FlumeUtils
    api.__all__ = ["FlumeUtils"]
    sys.modules.pop("ember.streaming.flume", None)
    plugins(flume=make_plugin("f", ember_connector_apis=lambda: {"flume": api}))
    try:
        from ember.streaming.flume import FlumeUtils as Resolved

        assert Resolved is FlumeUtils
    finally:
        sys.modules.pop("ember.streaming.flume", None)
    plugins()
    with pytest.raises(ImportError, match=re.escape(install_command("ember-flume"))):
        importlib.import_module("ember.streaming.flume")
    assert "ember.streaming.flume" not in sys.modules
