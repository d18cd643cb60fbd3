"""One SparkContext per master for a whole test module: starting worker pools per test is slow."""
from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from ember import SparkContext

# The suite-wide list of masters, read from tests/conftest.py (importing it by name would
# import this file: both are called conftest).
MASTERS = runpy.run_path(str(Path(__file__).parents[1] / "conftest.py"))["MASTERS"]


@pytest.fixture(scope="module", params=MASTERS)
def sc(request):
    context = SparkContext(request.param, "ember-rdd-tests")
    try:
        yield context
    finally:
        context.stop()
