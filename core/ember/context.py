"""SparkContext: the entry point of a driver program, with PySpark's API.

It owns the executor chosen by the master URL and the DAG scheduler that runs jobs on it;
RDDs are created here (``parallelize``, ``emptyRDD``, ``union``) and so are broadcast
variables and accumulators.
"""

from __future__ import annotations

import itertools
import logging
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from ember._version import __version__
from ember.accumulators import Accumulator, AccumulatorParam, default_param_for
from ember.broadcast import Broadcast
from ember.conf import SparkConf
from ember.executor.master import create_executor
from ember.rdd.lineage import ParallelCollectionRDD
from ember.rdd.rdd import RDD
from ember.rdd.scheduler import DAGScheduler
from ember.rdd.slicing import slice_collection

DEFAULT_MASTER = "local[*]"
DEFAULT_APP_NAME = "ember"
_LOG_LEVELS = {
    "ALL": logging.NOTSET,
    "DEBUG": logging.DEBUG,
    "ERROR": logging.ERROR,
    "FATAL": logging.CRITICAL,
    "INFO": logging.INFO,
    "OFF": logging.CRITICAL + 10,
    "TRACE": logging.DEBUG,
    "WARN": logging.WARNING,
}


class SparkContext:
    """One per process, as in Spark: ``SparkContext.getOrCreate()`` returns the active one."""

    _active_spark_context: SparkContext | None = None
    _lock = threading.RLock()

    def __init__(
        self,
        master: str | None = None,
        appName: str | None = None,
        sparkHome: str | None = None,
        pyFiles: list[str] | None = None,
        environment: dict[str, str] | None = None,
        batchSize: int = 0,
        serializer: Any = None,
        conf: SparkConf | None = None,
        gateway: Any = None,
        jsc: Any = None,
        profiler_cls: Any = None,
    ):
        with SparkContext._lock:
            active = SparkContext._active_spark_context
            if active is not None:
                raise ValueError(
                    f"Cannot run multiple SparkContexts at once; existing SparkContext("
                    f"app={active.appName}, master={active.master}); stop it first or use "
                    "SparkContext.getOrCreate()"
                )
            self._conf = conf if conf is not None else SparkConf()
            if master:
                self._conf.setMaster(master)
            if appName:
                self._conf.setAppName(appName)
            self._conf.setIfMissing("spark.master", DEFAULT_MASTER)
            self._conf.setIfMissing("spark.app.name", DEFAULT_APP_NAME)
            self.master: str = self._conf.get("spark.master")
            self.appName: str = self._conf.get("spark.app.name")
            self.sparkHome = sparkHome
            self.environment = dict(environment or {})
            # workers import the scheduler's task classes before their first task
            self._executor = create_executor(self.master, self._conf, preload=[DAGScheduler.__module__])
            self._accumulators: weakref.WeakValueDictionary[int, Accumulator] = weakref.WeakValueDictionary()
            self._scheduler = DAGScheduler(self._executor, self._accumulators)
            self._ids = {
                "rdd": itertools.count(),
                "shuffle": itertools.count(),
                "broadcast": itertools.count(),
                "accumulator": itertools.count(),
            }
            self._stopped = False
            SparkContext._active_spark_context = self

    # -- lifecycle --------------------------------------------------------------------------
    @classmethod
    def getOrCreate(cls, conf: SparkConf | None = None) -> SparkContext:
        with cls._lock:
            return cls._active_spark_context or cls(conf=conf)

    def stop(self) -> None:
        with SparkContext._lock:
            if self._stopped:
                return
            self._stopped = True
            self._executor.shutdown()
            if SparkContext._active_spark_context is self:
                SparkContext._active_spark_context = None

    def __enter__(self) -> SparkContext:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def getConf(self) -> SparkConf:
        return SparkConf(loadDefaults=False).setAll(self._conf.getAll())

    @property
    def executor(self):
        """(ember only) The ``ember.executor.Executor`` that runs this context's tasks and keeps
        its blocks (shuffle outputs, cached partitions, broadcasts)."""
        return self._executor

    @property
    def defaultParallelism(self) -> int:
        configured = self._conf.get("spark.default.parallelism")
        return int(configured) if configured else self._executor.default_parallelism

    @property
    def defaultMinPartitions(self) -> int:
        return min(self.defaultParallelism, 2)

    @property
    def version(self) -> str:
        return __version__

    @property
    def applicationId(self) -> str:
        return f"local-{id(self)}"

    def setLogLevel(self, logLevel: str) -> None:
        level = _LOG_LEVELS.get(logLevel.upper())
        if level is None:
            raise ValueError(f"Unknown log level {logLevel!r}; use one of {', '.join(_LOG_LEVELS)}")
        logging.getLogger("ember").setLevel(level)

    # -- creating RDDs, broadcasts and accumulators ----------------------------------------------
    def parallelize(self, c: Iterable, numSlices: int | None = None) -> RDD:
        count = self.defaultParallelism if numSlices is None else int(numSlices)
        if count < 1:
            raise ValueError(f"numSlices must be positive, got {numSlices}")
        return ParallelCollectionRDD(self, slice_collection(c, count))

    def emptyRDD(self) -> RDD:
        return ParallelCollectionRDD(self, [])

    def range(self, start: int, end: int | None = None, step: int = 1, numSlices: int | None = None) -> RDD:
        if end is None:
            start, end = 0, start
        return self.parallelize(range(start, end, step), numSlices)

    def union(self, rdds: Sequence[RDD]) -> RDD:
        rdds = list(rdds)
        if not rdds:
            raise ValueError("union() needs at least one RDD")
        combined = rdds[0]._union_all(rdds)
        combined.partitioner = None  # as in PySpark, which does not track it through sc.union
        return combined

    def broadcast(self, value) -> Broadcast:
        return Broadcast(next(self._ids["broadcast"]), value, self._executor)

    def accumulator(self, value, accum_param: AccumulatorParam | None = None) -> Accumulator:
        param = accum_param if accum_param is not None else default_param_for(value)
        accumulator = Accumulator(next(self._ids["accumulator"]), value, param)
        self._accumulators[accumulator.aid] = accumulator
        return accumulator

    # -- running jobs -------------------------------------------------------------------------
    def runJob(
        self,
        rdd: RDD,
        partitionFunc: Callable[[Iterator], Iterable],
        partitions: Iterable[int] | None = None,
        allowLocal: bool = False,
    ) -> list:
        """Run ``partitionFunc`` over each listed partition; all the records it yields, in order."""
        results = self._run_partitions(rdd, lambda iterator: list(partitionFunc(iterator)), partitions)
        return [record for part in results for record in part]

    def _run_partitions(
        self, rdd: RDD, func: Callable[[Iterator], Any], partitions: Iterable[int] | None = None
    ) -> list:
        """``func``'s result for each listed partition of ``rdd`` (all by default), in order."""
        if self._stopped:
            raise RuntimeError("Cannot call methods on a stopped SparkContext")
        count = rdd.getNumPartitions()
        wanted = range(count) if partitions is None else list(partitions)
        for split in wanted:
            if not 0 <= split < count:
                raise ValueError(
                    f"runJob: partition {split} does not exist in {rdd!r}, " f"which has {count} partitions"
                )
        return self._scheduler.run_job(rdd, func, wanted)

    def _new_rdd_id(self) -> int:
        return next(self._ids["rdd"])

    def _new_shuffle_id(self) -> int:
        return next(self._ids["shuffle"])

    def __repr__(self) -> str:
        return f"<SparkContext master={self.master} appName={self.appName}>"
