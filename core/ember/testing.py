"""Testing DStream programs without waiting: a StreamingContext on a manual clock, batches
advanced by hand, and each batch's output collected.

For users and plugin authors alike::

    from ember.testing import run_stream
    assert run_stream(sc, [[1, 2], [3]], lambda d: d.map(lambda x: x * 10)) == [[10, 20], [30]]

or, step by step (e.g. with a plugin's own input stream)::

    ssc = manual_streaming_context(sc, batch_duration=1)
    outputs = collect_outputs(MySourceStream(ssc))
    ssc.start()
    advance_batches(ssc, 3)          # runs batches 1..3 now, no sleeping
    ssc.stop(stopSparkContext=False)

Time only moves when ``advance_batches`` moves it, so results do not depend on the machine.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from typing import Any

import ember.checkpoint  # noqa: F401 - checkpointing for the contexts made here (ember is the root)
from ember._typing import T
from ember.context import SparkContext
from ember.streaming import monitors
from ember.streaming.clock import ManualClock
from ember.streaming.context import StreamingContext
from ember.streaming.dstream import DStream

#: how long ``advance_batches`` waits for one batch before it reports a hang
BATCH_TIMEOUT_SECONDS = 30.0


def manual_streaming_context(
    sc: SparkContext, batch_duration: float = 1, checkpoint_dir: str | None = None, start_ms: int = 0
) -> StreamingContext:
    """A StreamingContext whose clock stands at ``start_ms`` until advanced."""
    ssc = StreamingContext(sc, batch_duration, clock=ManualClock(start_ms))
    if checkpoint_dir is not None:
        ssc.checkpoint(checkpoint_dir)
    return ssc


def collect_outputs(dstream: DStream[T]) -> list[list[T]]:
    """Register an output that appends each batch's ``collect()``; returns that (growing) list."""
    outputs: list[list[T]] = []
    dstream.foreachRDD(lambda rdd: outputs.append(rdd.collect()))
    return outputs


def advance_batches(ssc: StreamingContext, count: int = 1, raise_errors: bool = True) -> None:
    """Move the manual clock ``count`` batch intervals, one at a time, and wait for each batch
    to finish.  A failed batch raises its error unless ``raise_errors`` is False."""
    clock = ssc.clock
    if not isinstance(clock, ManualClock):
        raise TypeError(
            "advance_batches needs a StreamingContext on a ManualClock "
            "(use ember.testing.manual_streaming_context)"
        )
    scheduler = ssc.scheduler
    if scheduler is None:
        raise RuntimeError("advance_batches: start the StreamingContext first")
    batch_ms = ssc.batch_ms
    for _ in range(count):
        clock.advance(batch_ms)
        zero_ms = scheduler.zero_ms
        assert zero_ms is not None, "the scheduler has started"
        latest = zero_ms + (clock.time_ms() - zero_ms) // batch_ms * batch_ms
        if not scheduler.wait_for_batch(latest, BATCH_TIMEOUT_SECONDS):
            raise TimeoutError(f"the batch at {latest} ms did not finish within {BATCH_TIMEOUT_SECONDS} s")
        if raise_errors and ssc.error is not None:
            raise ssc.error


def run_stream(
    sc: SparkContext,
    input_batches: Sequence[Sequence[Any]],
    func: Callable[..., DStream[T]],
    num_batches: int | None = None,
    batch_duration: float = 1,
    input_batches2: Sequence[Sequence[Any]] | None = None,
    num_slices: int | None = None,
    checkpoint: bool = False,
) -> list[list[T]]:
    """Run ``func`` over streams fed with ``input_batches`` (one list per batch) and return the
    collected output of each of ``num_batches`` batches (default: one per input batch).

    ``func(d)`` or, with ``input_batches2``, ``func(d, d2)`` returns the DStream to record.
    ``checkpoint`` gives the context a temporary checkpoint directory (stateful operations).
    """
    checkpoint_dir = tempfile.mkdtemp(prefix="ember-test-ck-") if checkpoint else None
    ssc = manual_streaming_context(sc, batch_duration, checkpoint_dir)
    streams = [_queue_of(ssc, input_batches, num_slices)]
    if input_batches2 is not None:
        streams.append(_queue_of(ssc, input_batches2, num_slices))
    result = func(*streams)
    if not isinstance(result, DStream):
        raise TypeError(f"run_stream: the function must return a DStream, got {type(result).__name__}")
    outputs = collect_outputs(result)
    with monitors.unmonitored():  # no web UI or other monitor plugin, as in Spark's test suites
        ssc.start()
    try:
        advance_batches(ssc, len(input_batches) if num_batches is None else num_batches)
    finally:
        ssc.stop(stopSparkContext=False)
    return outputs


def _queue_of(ssc: StreamingContext, batches: Sequence[Sequence[T]], num_slices: int | None) -> DStream[T]:
    sc = ssc.sparkContext
    return ssc.queueStream([sc.parallelize(list(batch), num_slices) for batch in batches])
