"""The template plugin, installed as a distribution: listed, and usable end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from ember.plugins.testing import BatchCollector
from ember.streaming import StreamingContext
from ember_plugin_template import TickerUtils, saveAsJsonLines


def ember_cli(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "ember", *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_installed_template_is_listed_with_what_it_provides():
    [template] = [
        p for p in json.loads(ember_cli("plugins", "--json")) if p["distribution"] == "ember-plugin-template"
    ]
    assert template["errors"] == []
    assert template["provides"] == {"sources": ["ticker"], "sinks": ["jsonl"], "commands": ["template-hello"]}


def test_its_command_runs():
    assert ember_cli("template-hello", "--name", "author") == "hello from ember-plugin-template, author\n"


def test_its_source_and_sink_work_in_a_streaming_job(sc, tmp_path):
    ssc = StreamingContext(sc, 0.1)
    ticks = TickerUtils.createStream(ssc, count=5, interval_ms=1)
    saveAsJsonLines(ticks, str(tmp_path))
    seen = BatchCollector(ticks)
    ssc.start()
    seen.wait_for(lambda c: len(c.records) == 5)
    ssc.stop(stopSparkContext=False)
    assert seen.records == [f"tick {n}" for n in range(5)]
    written = []
    for name in sorted(os.listdir(tmp_path)):
        assert name.startswith("batch-") and name.endswith(".jsonl"), name
        written += [json.loads(line) for line in (tmp_path / name).read_text().splitlines()]
    assert written == seen.records
