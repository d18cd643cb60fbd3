"""The core imports no plugin: not in its source, and not at run time until asked."""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys

CORE = pathlib.Path(__file__).resolve().parents[2] / "core" / "ember"
PLUGIN_IMPORT = re.compile(r"^\s*(from|import)\s+ember_\w+", re.MULTILINE)


def test_no_core_module_imports_a_plugin_package():
    offenders = [
        str(path.relative_to(CORE))
        for path in CORE.rglob("*.py")
        if PLUGIN_IMPORT.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_importing_and_running_the_core_loads_no_plugin():
    program = """
import sys
import ember, ember.streaming, ember.testing, ember.plugins
from ember import SparkContext
from ember.testing import run_stream
with SparkContext("local[1]", "core-only") as sc:
    assert run_stream(sc, [[1, 2]], lambda d: d.map(lambda x: x + 1)) == [[2, 3]]
import ember.pluginhost.manager as manager
print(sorted(m for m in sys.modules if m.startswith("ember_")), manager._shared is None
      or not manager._shared.loaded)
"""
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[]", "True"]
