"""ember: PySpark Streaming's DStream API, natively in Python.

This package is the composition root, above every layer (docs/architecture.md).  Importing it
loads almost nothing (a worker process imports it first): the author API's ``open_filesystem``
is wired to the plugin host, which loads on its first call, and the engine loads with the first
of its names used here (``from ember import SparkContext``), together with ``ember.checkpoint``,
which registers itself as the streaming engine's checkpointing.
"""

from __future__ import annotations

from typing import Any

from ember._version import __version__
from ember.plugins.connect import install_filesystem_opener as _install_filesystem_opener


def _open_filesystem(url: str, asked_by: str | None) -> Any:
    """The plugin host's ``open_filesystem``, loaded on the first call (importing the host
    installs its own opener in place of this one)."""
    from ember.pluginhost import open_filesystem

    return open_filesystem(url, asked_by)


_install_filesystem_opener(_open_filesystem)

__all__ = [
    "RDD",
    "Accumulator",
    "AccumulatorParam",
    "Broadcast",
    "Partitioner",
    "SparkConf",
    "SparkContext",
    "StorageLevel",
    "TaskContext",
    "__version__",
]


def __getattr__(name: str) -> Any:
    """PEP 562: load the engine on first use of one of its public names."""
    if name not in __all__:
        raise AttributeError(f"module 'ember' has no attribute {name!r}")
    import ember.checkpoint  # noqa: F401 - registers checkpointing with ember.streaming
    from ember.accumulators import Accumulator, AccumulatorParam
    from ember.broadcast import Broadcast
    from ember.conf import SparkConf
    from ember.context import SparkContext
    from ember.executor.base import TaskContext
    from ember.rdd import RDD, Partitioner
    from ember.storagelevel import StorageLevel

    globals().update(
        Accumulator=Accumulator,
        AccumulatorParam=AccumulatorParam,
        Broadcast=Broadcast,
        SparkConf=SparkConf,
        SparkContext=SparkContext,
        TaskContext=TaskContext,
        RDD=RDD,
        Partitioner=Partitioner,
        StorageLevel=StorageLevel,
    )
    return globals()[name]
