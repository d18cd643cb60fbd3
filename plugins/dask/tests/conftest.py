"""Fixtures of ember-dask's tests (the helpers are in ``dask_helpers``)."""

import pytest

# the scenarios shared with the core's tests assert inside these modules: show the values there
pytest.register_assert_rewrite("receiver_checks", "service_checks")

from dask_helpers import dask_cluster_processes  # noqa: E402 - after the registration above


@pytest.fixture
def dask_cluster(tmp_path):
    """``dask scheduler`` and two ``dask worker`` processes on loopback; yields the address."""
    with dask_cluster_processes(tmp_path) as address:
        yield address
