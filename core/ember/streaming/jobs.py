"""Output streams and the jobs they make: one ``Job`` per output operation per batch."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ember.streaming.dstream import DStream
from ember.streaming.durations import ms_to_datetime


@dataclass
class Job:
    """One output operation's work for one batch."""

    time_ms: int
    output_op_id: int
    name: str
    run: Callable[[], None]

    def describe(self) -> str:
        return f"{self.name} (output operation {self.output_op_id}) of the batch at {ms_to_datetime(self.time_ms)}"


class ForEachDStream(DStream):
    """An output operation: ``func(time_ms, rdd)`` on each batch's RDD of the parent."""

    kind = "output"

    def __init__(self, parent: DStream, func: Callable, name: str):
        super().__init__(parent._ssc, [parent])
        self.func = func
        self.name = name
        self.output_op_id = parent._ssc._graph.add_output(self)

    def compute(self, time_ms: int):
        return None

    def generate_job(self, time_ms: int) -> Job | None:
        """The batch's job, or None when the parent has no RDD at this time (no job, as in Spark)."""
        rdd = self.parents[0].get_or_compute(time_ms)
        if rdd is None:
            return None
        func = self.func
        return Job(time_ms, self.output_op_id, self.name, lambda: func(time_ms, rdd))
