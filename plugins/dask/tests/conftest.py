"""Fixtures of ember-dask's tests (the helpers are in ``dask_helpers``)."""

import pytest
from dask_helpers import dask_cluster_processes


@pytest.fixture
def dask_cluster(tmp_path):
    """``dask scheduler`` and two ``dask worker`` processes on loopback; yields the address."""
    with dask_cluster_processes(tmp_path) as address:
        yield address
