"""SparkContext: the entry point of a driver program, with PySpark's API.

It owns the executor chosen by the master URL and the DAG scheduler that runs jobs on it;
RDDs are created here (``parallelize``, ``emptyRDD``, ``union``) and so are broadcast
variables and accumulators.
"""

from __future__ import annotations

import itertools
import logging
import os
import sys
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from ember._typing import T, U
from ember._version import __version__
from ember.accumulators import Accumulator, AccumulatorParam, default_param_for
from ember.broadcast import Broadcast
from ember.conf import SparkConf, notice_overridden_submit_settings
from ember.errors import PySparkRuntimeError
from ember.executor.master import create_executor
from ember.executor.tracebacks import FULL_TRACEBACKS_ENV, full_tracebacks
from ember.rdd.checkpointing import checkpoint_marked, new_checkpoint_directory
from ember.rdd.lineage import ParallelCollectionRDD
from ember.rdd.rdd import RDD
from ember.rdd.scheduler import DAGScheduler
from ember.rdd.slicing import slice_collection

if TYPE_CHECKING:
    from ember.executor.base import Executor

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


class _StderrUnlessConfigured(logging.StreamHandler[TextIO]):
    """Writes ember's log records to stderr while the program has not configured logging, so
    ``setLogLevel("INFO")`` alone shows ember's INFO lines, as Spark's do; once the program sets
    up logging (a root handler), its configuration decides and this one stays quiet."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%y/%m/%d %H:%M:%S")
        )

    def emit(self, record: logging.LogRecord) -> None:
        if (
            not logging.getLogger().handlers
            and record.levelno >= logging.getLogger("ember").getEffectiveLevel()
        ):
            self.stream = sys.stderr
            super().emit(record)


class SparkContext:
    """One per process, as in Spark: ``SparkContext.getOrCreate()`` returns the active one."""

    _active_spark_context: SparkContext | None = None
    _lock = threading.RLock()
    _checkpoint_dir: str | None = None

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
    ) -> None:
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
            notice_overridden_submit_settings(self._conf)
            self.master: str = self._conf.get("spark.master", DEFAULT_MASTER)
            self.appName: str = self._conf.get("spark.app.name", DEFAULT_APP_NAME)
            self.sparkHome = sparkHome
            self.environment = dict(environment or {})
            if full_tracebacks(self._conf):  # the workers, started below, inherit it
                os.environ[FULL_TRACEBACKS_ENV] = "1"
            # workers import the scheduler's task classes before their first task
            self._executor = create_executor(self.master, self._conf, preload=[DAGScheduler.__module__])
            self._accumulators: weakref.WeakValueDictionary[int, Accumulator[Any]] = (
                weakref.WeakValueDictionary()
            )
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

    def __reduce__(self) -> NoReturn:
        # Pickling happens when a task's closure holds the context: that is always a mistake.
        raise PySparkRuntimeError("CONTEXT_ONLY_VALID_ON_DRIVER")

    def __enter__(self) -> SparkContext:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def getConf(self) -> SparkConf:
        return SparkConf(loadDefaults=False).setAll(self._conf.getAll())

    @property
    def executor(self) -> Executor:
        """(ember only) The ``ember.executor.Executor`` that runs this context's tasks and keeps
        its blocks (shuffle outputs, cached partitions, broadcasts)."""
        return self._executor

    @property
    def scheduler(self) -> DAGScheduler:
        """(ember only) The ``DAGScheduler`` that cuts jobs into stages and runs them, without
        the bookkeeping of ``runJob`` (RDD checkpointing writes through it)."""
        return self._scheduler

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
        logger = logging.getLogger("ember")
        logger.setLevel(level)
        if not any(isinstance(handler, _StderrUnlessConfigured) for handler in logger.handlers):
            logger.addHandler(_StderrUnlessConfigured())

    def setCheckpointDir(self, dirName: str) -> None:
        """Where ``rdd.checkpoint()`` writes (a new ``<dirName>/<uuid>``, as in Spark), and
        what stateful streams need when ``ssc.checkpoint()`` was not called."""
        self._checkpoint_dir = new_checkpoint_directory(dirName)

    def getCheckpointDir(self) -> str | None:
        return self._checkpoint_dir

    # -- creating RDDs, broadcasts and accumulators ----------------------------------------------
    def parallelize(self, c: Iterable[T], numSlices: int | None = None) -> RDD[T]:
        count = self.defaultParallelism if numSlices is None else int(numSlices)
        if count < 1:
            raise ValueError(f"numSlices must be positive, got {numSlices}")
        return ParallelCollectionRDD(self, slice_collection(c, count))

    def emptyRDD(self) -> RDD[Any]:
        return ParallelCollectionRDD(self, [])

    def textFile(self, name: str, minPartitions: int | None = None, use_unicode: bool = True) -> RDD[str]:
        """The lines of the files ``name`` names (files, directories, globs, comma-separated),
        split into partitions as Hadoop splits them."""
        from ember.rdd.textfiles import text_file

        return text_file(self, name, minPartitions or self.defaultMinPartitions, use_unicode)

    def wholeTextFiles(
        self, path: str, minPartitions: int | None = None, use_unicode: bool = True
    ) -> RDD[tuple[str, str]]:
        """(file URL, whole content) for each file ``path`` names."""
        from ember.rdd.textfiles import whole_text_files

        return whole_text_files(self, path, minPartitions or self.defaultMinPartitions, use_unicode)

    def range(
        self, start: int, end: int | None = None, step: int = 1, numSlices: int | None = None
    ) -> RDD[int]:
        if end is None:
            start, end = 0, start
        return self.parallelize(range(start, end, step), numSlices)

    def union(self, rdds: Sequence[RDD[T]]) -> RDD[T]:
        rdds = list(rdds)
        if not rdds:
            raise ValueError("union() needs at least one RDD")
        combined = rdds[0]._union_all(rdds)
        combined.partitioner = None  # as in PySpark, which does not track it through sc.union
        return combined

    def broadcast(self, value: T) -> Broadcast[T]:
        return Broadcast(next(self._ids["broadcast"]), value, self._executor)

    def accumulator(self, value: T, accum_param: AccumulatorParam[T] | None = None) -> Accumulator[T]:
        param = accum_param if accum_param is not None else default_param_for(value)
        accumulator = Accumulator(next(self._ids["accumulator"]), value, param)
        self._accumulators[accumulator.aid] = accumulator
        return accumulator

    # -- running jobs -------------------------------------------------------------------------
    def runJob(
        self,
        rdd: RDD[T],
        partitionFunc: Callable[[Iterator[T]], Iterable[U]],
        partitions: Iterable[int] | None = None,
        allowLocal: bool = False,
    ) -> list[U]:
        """Run ``partitionFunc`` over each listed partition; all the records it yields, in order."""
        results = self._run_partitions(rdd, lambda iterator: list(partitionFunc(iterator)), partitions)
        return [record for part in results for record in part]

    def _run_partitions(
        self, rdd: RDD[T], func: Callable[[Iterator[T]], U], partitions: Iterable[int] | None = None
    ) -> list[U]:
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
        results = self._scheduler.run_job(rdd, func, wanted)
        checkpoint_marked(rdd)
        return results

    def _new_rdd_id(self) -> int:
        return next(self._ids["rdd"])

    def _new_shuffle_id(self) -> int:
        return next(self._ids["shuffle"])

    def __repr__(self) -> str:
        return f"<SparkContext master={self.master} appName={self.appName}>"
