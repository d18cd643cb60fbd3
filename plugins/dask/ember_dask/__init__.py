"""ember-dask: an ember executor whose tasks run on a Dask distributed cluster.

Master URLs ``dask://host:port`` (an existing scheduler) and ``dask-local[N]`` (a LocalCluster
of N worker processes).  Blocks stay on the Dask workers that wrote them (``worker_blocks``);
the driver only tracks where they are (``locations``) and runs stages (``executor``).
"""

from ember_dask.executor import DaskExecutor

__all__ = ["DaskExecutor"]
