"""Output operations: what makes a DStream program do something each batch.

Every output operation is a ``foreachRDD`` underneath and becomes one job per batch, run in
the order the operations were registered.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, overload

from ember._typing import T
from ember.pluginhost import registry
from ember.streaming.sink_output import write_batches_to

if TYPE_CHECKING:
    from ember.rdd import RDD
    from ember.streaming.dstream import DStream


class OutputOpsMixin:
    @overload
    def foreachRDD(self: DStream[T], func: Callable[[RDD[T]], None]) -> None: ...

    @overload
    def foreachRDD(self: DStream[T], func: Callable[[datetime.datetime, RDD[T]], None]) -> None: ...

    def foreachRDD(self: DStream[T], func: Callable[..., None]) -> None:
        """Run ``func(rdd)`` or ``func(time, rdd)`` on the driver for every batch."""
        from ember.streaming.dstream import with_time
        from ember.streaming.jobs import ForEachDStream

        ForEachDStream(self, with_time(func, 1, "foreachRDD()"), "foreachRDD")

    def pprint(self: DStream[Any], num: int = 10) -> None:
        """Print the first ``num`` records of every batch, under a header with its time."""
        if isinstance(num, bool) or not isinstance(num, int):
            raise TypeError(f"pprint(num) expects an int, got {type(num).__name__} {num!r}")

        def take_and_print(time: datetime.datetime, rdd: RDD[Any]) -> None:
            taken = rdd.take(num + 1)
            lines = ["-" * 43, f"Time: {time}", "-" * 43]
            lines.extend(str(record) for record in taken[:num])
            if len(taken) > num:
                lines.append("...")
            print("\n".join(lines) + "\n\n", end="", flush=True)

        from ember.streaming.dstream import with_time
        from ember.streaming.jobs import ForEachDStream

        ForEachDStream(self, with_time(take_and_print, 1, "pprint()"), "pprint")

    def saveAsTextFiles(self: DStream[Any], prefix: str, suffix: str | None = None) -> None:
        """Write each batch to ``prefix-<time ms>.suffix`` (through the file sink plugin)."""
        self.output_to_sink("text-files", prefix=prefix, suffix=suffix)

    def output_to_sink(self: DStream[Any], kind: str, **options: Any) -> None:
        """(ember only) Write every batch to the installed sink ``kind`` (``"text-files"``,
        ``"kafka"``...) created with ``options``; what ``ember.plugins.output_to_sink`` calls."""
        write_batches_to(self, registry.sink_kind(kind)[1].create(**options))
