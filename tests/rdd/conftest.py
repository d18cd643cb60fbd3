"""One SparkContext per master for a whole test module: starting worker pools per test is slow."""

from __future__ import annotations

import pytest
from masters import MASTERS, spark_context


@pytest.fixture(scope="module", params=MASTERS)
def sc(request):
    with spark_context(request.param, "ember-rdd-tests") as context:
        yield context
