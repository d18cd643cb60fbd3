"""Fixtures shared by every test: a SparkContext per executor kind."""

from __future__ import annotations

import pytest
from masters import MASTERS, spark_context


@pytest.fixture(params=MASTERS)
def sc(request):
    with spark_context(request.param, "ember-tests") as context:
        yield context
