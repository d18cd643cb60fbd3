"""ember: PySpark Streaming's DStream API, natively in Python.

This package is the composition root, above every layer (docs/architecture.md).  Importing it
loads only the plugin host, so that ``import ember.plugins`` (the plugin author API) stays free
of the engine; the engine loads with the first of its names used here (``from ember import
SparkContext``), together with ``ember.checkpoint``, which registers itself as the streaming
engine's checkpointing.
"""

from __future__ import annotations

from typing import Any

import ember.pluginhost  # noqa: F401 - the author API's open_filesystem answers through it
from ember._version import __version__

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
