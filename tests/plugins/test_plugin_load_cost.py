"""ember loads every installed plugin the first time it asks them anything (a streaming
context's start asks the monitors), so an entry-point module imports its heavy client library
only inside the hook that needs it: otherwise every job on a machine with ember-dask installed
would pay a quarter of a second for ``distributed``, and with ember-s3 a tenth for boto3."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("distributed", "dask", "boto3", "botocore")


def test_loading_every_installed_plugin_imports_no_heavy_client_library():
    program = f"""
import sys
from ember.pluginhost.manager import plugin_manager
manager = plugin_manager()
manager.load()
print(sorted(m for m in {HEAVY!r} if m in sys.modules))
print(sorted(record.name for record in manager.plugins() if record.loaded))
"""
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    heavy, loaded = done.stdout.splitlines()
    assert heavy == "[]"
    assert "'dask'" in loaded and "'s3'" in loaded  # the two plugins that have one, loaded
