"""Fixtures shared by every test: a SparkContext per executor kind."""

from __future__ import annotations

import pytest

# the scenarios tests share assert inside these modules: show the values there as in a test
pytest.register_assert_rewrite("receiver_checks", "service_checks")

from masters import MASTERS, spark_context  # noqa: E402 - after the registration above


@pytest.fixture(params=MASTERS)
def sc(request):
    with spark_context(request.param, "ember-tests") as context:
        yield context
