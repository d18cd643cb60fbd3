"""The DStream graph of one StreamingContext: its input and output streams, validated and
initialized at start, asked for each batch's jobs, and told to forget old batches.

Everything reachable from the outputs through ``parents`` is part of the graph, and every
stream records its kind, slide and window, so the graph can be walked (to describe it, or to
restore a checkpoint into it) without running user code.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ember.streaming.dstream import DStream
    from ember.streaming.input import InputDStream
    from ember.streaming.jobs import ForEachDStream, Job


class DStreamGraph:
    def __init__(self, batch_ms: int):
        self.batch_ms = batch_ms
        self.inputs: list[InputDStream] = []
        self.outputs: list[ForEachDStream] = []
        self.zero_ms: int | None = None
        self.remember_ms: int | None = None
        self._started = False
        self._ids = itertools.count()
        self._lock = threading.Lock()

    def new_stream_id(self) -> int:
        return next(self._ids)

    def check_not_started(
        self, change: str = "Adding new inputs, transformations, and output " "operations"
    ) -> None:
        """Spark freezes the graph at start: ``change`` says what was attempted."""
        if self._started:
            raise RuntimeError(f"{change} after starting a context is not supported")

    def add_input(self, stream: InputDStream) -> None:
        self.inputs.append(stream)

    def add_output(self, stream: ForEachDStream) -> int:
        """Register an output operation; returns its id (its position in run order)."""
        self.outputs.append(stream)
        return len(self.outputs) - 1

    def streams(self) -> Iterator[DStream]:
        """Every stream reachable from the outputs, parents before children, once each."""
        seen: set[int] = set()

        def visit(stream):
            if stream.id in seen:
                return
            seen.add(stream.id)
            for parent in stream.parents:
                yield from visit(parent)
            yield stream

        for output in self.outputs:
            yield from visit(output)

    def validate(self, checkpoint_dir: str | None) -> None:
        """Spark's checks at start: something to run, and a checkpoint directory when needed."""
        if not self.outputs:
            raise ValueError(
                "No output operations registered, so nothing to execute: "
                "add one (pprint, foreachRDD, saveAsTextFiles) before start()"
            )
        if checkpoint_dir is None:
            for stream in self.streams():
                if stream.must_checkpoint or stream.is_checkpointed:
                    raise ValueError(
                        f"The checkpoint directory has not been set. Please set it by "
                        f"StreamingContext.checkpoint() or SparkContext.setCheckpointDir() "
                        f"({stream.describe()} keeps state "
                        f"across batches and must be checkpointed)"
                    )

    def start(self, zero_ms: int) -> None:
        self.zero_ms = zero_ms
        for output in self.outputs:
            output.initialize(zero_ms)
        for output in self.outputs:
            output.remember(self.remember_ms)
        self._started = True

    def remember(self, duration_ms: int) -> None:
        self.remember_ms = duration_ms

    def generate_jobs(self, time_ms: int) -> list[Job]:
        """The batch's jobs, output operations in registration order; state streams first
        materialize their RDD so the next batch builds on stored state, not on lineage."""
        with self._lock:
            jobs = []
            for output in self.outputs:
                job = output.generate_job(time_ms)
                if job is not None:
                    jobs.append(job)
            return jobs

    def stateful_rdds(self, time_ms: int) -> list:
        """RDDs of the batch's stateful streams, to be materialized before the outputs run."""
        with self._lock:
            states = (stream.state_at(time_ms) for stream in self.streams() if stream.must_checkpoint)
            return [rdd for rdd in states if rdd is not None]

    def clear_old(self, time_ms: int) -> None:
        with self._lock:
            for output in self.outputs:
                output.clear_old(time_ms)

    def records_by_stream(self, time_ms: int) -> dict[int, int]:
        """Input stream id -> records in the batch at ``time_ms``, for the streams that count."""
        counts = {stream.id: stream.num_records(time_ms) for stream in self.inputs}
        return {stream_id: count for stream_id, count in counts.items() if count is not None}
