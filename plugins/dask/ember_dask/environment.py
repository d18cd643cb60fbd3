"""The environment variables a job's workers see, as on local[N]: ``spark.executorEnv.*``, and
on ``dask-local[N]`` the driver's own environment as the SparkContext starts (the local pool's
workers inherit it).  A worker plugin sets them on the workers present and on those that join
later; the hash seed cannot change in a running process and is left out."""

from __future__ import annotations

import os

from distributed import WorkerPlugin

_FIXED_AT_START = {"PYTHONHASHSEED"}


def job_environment(conf, include_driver: bool) -> dict[str, str]:
    env = dict(os.environ) if include_driver else {}
    if conf is not None:
        env.update(
            (key[len("spark.executorEnv.") :], value)
            for key, value in conf.getAll()
            if key.startswith("spark.executorEnv.")
        )
    return {key: value for key, value in env.items() if key not in _FIXED_AT_START}


class EnvironmentPlugin(WorkerPlugin):
    """Sets the job's variables in each worker process (the newest SparkContext's win)."""

    name = "ember-environment"

    def __init__(self, env: dict[str, str]):
        self.env = env

    def setup(self, worker) -> None:
        os.environ.update(self.env)
