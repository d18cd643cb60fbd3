"""ember-dask: an ember executor whose tasks run on a Dask distributed cluster.

Master URLs ``dask://host:port`` (an existing scheduler) and ``dask-local[N]`` (a LocalCluster
of N worker processes).  Blocks stay on the Dask workers that wrote them (``worker_blocks``);
the driver only tracks where they are (``locations``) and runs stages (``executor``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["DaskExecutor"]


def __getattr__(name: str) -> Any:
    """``DaskExecutor`` imports ``distributed`` (a quarter of a second): only when asked for,
    so that the plugin costs nothing to a job on another master (ember loads every plugin)."""
    if name == "DaskExecutor":
        from ember_dask.executor import DaskExecutor

        return DaskExecutor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
