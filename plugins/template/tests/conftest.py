"""Fixtures of the template plugin's tests.  They use only ember and pytest, so this folder
goes wherever the template is copied."""

from __future__ import annotations

import pytest

from ember import SparkContext


@pytest.fixture(params=["local[1]", "local[2]", "local[4]"])
def sc(request):
    """A SparkContext on the in-process executor and on process pools of two and four workers:
    a plugin must give the same results on each."""
    with SparkContext(request.param, "template-tests") as context:
        yield context
