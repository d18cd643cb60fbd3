"""With the plugins actually installed here (entry points, not in-process registration):
what is installed works, and what is not raises MissingPluginError naming its distribution.
In the `core` tox environment nothing is installed, so every kind below is missing there."""

from __future__ import annotations

import importlib.metadata
import re

import pytest

from ember.pluginhost.manager import PluginManager, using_plugins
from ember.pluginhost.registry import KNOWN_DISTRIBUTIONS, sink_kinds, source_kinds
from ember.plugins import MissingPluginError
from ember.plugins.errors import install_command

INSTALLED = {d.metadata["Name"] for d in importlib.metadata.distributions()}


@pytest.fixture
def installed_plugins():
    """A fresh manager over the real entry points (the shared one may be in any state)."""
    with using_plugins(PluginManager()) as manager:
        yield manager


@pytest.mark.parametrize("kind", ["socket", "text-files", "binary-files"])
def test_a_source_kind_is_there_exactly_when_its_distribution_is(installed_plugins, kind):
    distribution = KNOWN_DISTRIBUTIONS["source"][kind]
    assert (kind in source_kinds()) == (distribution in INSTALLED)


def test_the_text_files_sink_is_there_exactly_when_ember_sink_files_is(installed_plugins):
    assert ("text-files" in sink_kinds()) == ("ember-sink-files" in INSTALLED)


def test_streaming_context_methods_work_or_name_what_to_install(installed_plugins, sc):
    from ember.streaming import StreamingContext

    ssc = StreamingContext(sc, 1)
    calls = {
        "ember-socket": lambda: ssc.socketTextStream("127.0.0.1", 9),
        "ember-files": lambda: ssc.textFileStream("/nonexistent-dir"),
        "ember-sink-files": lambda: ssc.queueStream([[1]]).saveAsTextFiles("/tmp/never"),
    }
    for distribution, call in calls.items():
        if distribution in INSTALLED:
            call()  # builds the stream or registers the output without error
        else:
            with pytest.raises(MissingPluginError, match=re.escape(install_command(distribution))):
                call()


def test_text_file_reading_works_or_names_ember_files(installed_plugins, sc, tmp_path):
    (tmp_path / "a.txt").write_text("x\n")
    for read in (sc.textFile, sc.wholeTextFiles):
        if "ember-files" in INSTALLED:
            assert read(str(tmp_path)).count() == 1
        else:
            with pytest.raises(MissingPluginError, match="needed by SparkContext.*pip install ember-files"):
                read(str(tmp_path))
