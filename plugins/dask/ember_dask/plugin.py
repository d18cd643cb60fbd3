"""The hook: the executor for ``dask://`` and ``dask-local[N]`` master URLs."""

from __future__ import annotations

from ember.plugins import hookimpl
from ember_dask.masters import connect, parse_dask_master


@hookimpl
def ember_executor(master, conf):
    parsed = parse_dask_master(master)
    if parsed is None:
        return None
    from ember_dask.environment import job_environment
    from ember_dask.executor import DaskExecutor

    return DaskExecutor(
        connect(parsed),
        parsed.max_task_attempts(conf),
        job_environment(conf, include_driver=parsed.address is None),
    )
