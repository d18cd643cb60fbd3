"""The masters every RDD and DStream test runs on, and a SparkContext per master.

Every test module must give the same results on each; conftest files take both from here
(they cannot import one another: they share a name).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from contextlib import contextmanager

from ember import SparkContext

MASTERS = ["local[1]", "local[2]", "local[4]"]
# ember-dask's executor, on a two-worker LocalCluster that the whole session shares (the plugin
# keeps it for the process), when it is installed; under CI it must be.
if importlib.util.find_spec("ember_dask") is not None or os.environ.get("CI") == "true":
    MASTERS.append("dask-local[2]")


@contextmanager
def spark_context(master: str, app_name: str) -> Iterator[SparkContext]:
    context = SparkContext(master, app_name)
    try:
        yield context
    finally:
        context.stop()
