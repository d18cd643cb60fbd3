"""Fixtures shared by every test: a SparkContext per executor kind."""
from __future__ import annotations

import pytest

from ember import SparkContext

# Every RDD and DStream test runs once per master, and all must give the same results.
MASTERS = ["local[1]", "local[2]", "local[4]"]


@pytest.fixture(params=MASTERS)
def sc(request):
    context = SparkContext(request.param, "ember-tests")
    try:
        yield context
    finally:
        context.stop()
