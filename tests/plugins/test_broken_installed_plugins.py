"""Broken plugins installed beside good ones: each is reported with its distribution's name
and error, and the good plugins keep working."""

from __future__ import annotations

import json
import os
import sys

import pytest
from plugin_distributions import build_wheels, pip, run_python, write_distribution

BROKEN = {
    "ember-broken-import": (
        "ember_broken_import",
        """
        raise RuntimeError("this plugin cannot start: licence key missing")
        """,
    ),
    "ember-broken-hook": (
        "ember_broken_hook",
        """
        from ember.plugins import hookimpl

        @hookimpl
        def ember_source_kinds():
            raise KeyError("source table corrupted")
        """,
    ),
    "ember-misfit": (
        "ember_misfit",
        """
        from ember.plugins import hookimpl

        @hookimpl
        def ember_executor(url, settings):   # the spec's arguments are master and conf
            return None
        """,
    ),
}


@pytest.fixture(scope="module")
def broken_plugins_env(tmp_path_factory):
    """An environment (PYTHONPATH) where three broken distributions are installed."""
    root = tmp_path_factory.mktemp("broken-plugins")
    sources = [
        write_distribution(root / "src", name, package, code) for name, (package, code) in BROKEN.items()
    ]
    build_wheels(sources, root / "wheels")
    target = root / "site"
    pip(
        "install",
        "--quiet",
        "--no-deps",
        "--no-index",
        "--find-links",
        str(root / "wheels"),
        "--target",
        str(target),
        *BROKEN,
    )
    return dict(
        os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(target), os.environ.get("PYTHONPATH")]))
    )


def test_each_broken_plugin_is_listed_with_its_distribution_and_error(broken_plugins_env):
    done = run_python(sys.executable, "-m", "ember", "plugins", "--json", env=broken_plugins_env)
    assert done.returncode == 0, done.stderr
    plugins = {p["distribution"]: p for p in json.loads(done.stdout)}
    assert "licence key missing" in plugins["ember-broken-import"]["errors"][0]
    assert "failed to load" in plugins["ember-broken-import"]["errors"][0]
    assert "source table corrupted" in " ".join(plugins["ember-broken-hook"]["errors"])
    assert "failed to load" in plugins["ember-misfit"]["errors"][0]
    for good in ("ember-socket", "ember-files", "ember-sink-files"):
        assert plugins[good]["errors"] == [], plugins[good]
    assert plugins["ember-socket"]["provides"] == {"sources": ["socket"]}
    text = run_python(sys.executable, "-m", "ember", "plugins", env=broken_plugins_env).stdout
    assert "ember-broken-import 9.9.9" in text and "ERROR failed to load: RuntimeError" in text


def test_the_good_plugins_still_run_a_job(broken_plugins_env, tmp_path):
    job = tmp_path / "job.py"
    job.write_text(f"""
import os
from ember import SparkContext
from ember.testing import advance_batches, manual_streaming_context

sc = SparkContext("local[1]", "beside-broken-plugins")
ssc = manual_streaming_context(sc, 1)
ssc.textFileStream({str(tmp_path / "in")!r}).pprint()
ssc.queueStream([["a", "b"]]).saveAsTextFiles({str(tmp_path / "out")!r})
ssc.start()
advance_batches(ssc, 1)
ssc.stop()
print(sorted(os.listdir({str(tmp_path)!r})))
""")
    done = run_python(sys.executable, "-m", "ember", "run", str(job), env=broken_plugins_env)
    assert done.returncode == 0, done.stderr
    assert "'out-1000'" in done.stdout
    assert "ember-broken-hook" in done.stderr and "source table corrupted" in done.stderr
