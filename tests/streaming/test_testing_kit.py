"""ember.testing: the kit users and plugin authors test their streams with."""

from __future__ import annotations

import pytest

from ember.streaming import InputDStream, StreamingContext
from ember.testing import advance_batches, collect_outputs, manual_streaming_context, run_stream


class TimesSource(InputDStream):
    """A plugin-style source: each batch holds its own time."""

    def compute(self, time_ms):
        return self._sc.parallelize([time_ms], 1)


def test_a_plugin_source_step_by_step(local_sc):
    ssc = manual_streaming_context(local_sc, 2, start_ms=10_000)
    outputs = collect_outputs(TimesSource(ssc).map(lambda t: t // 1000))
    ssc.start()
    advance_batches(ssc, 2)
    assert outputs == [[12], [14]]
    advance_batches(ssc)
    ssc.stop(stopSparkContext=False)
    assert outputs == [[12], [14], [16]]


def test_run_stream_with_two_inputs_and_more_batches_than_inputs(local_sc):
    outputs = run_stream(local_sc, [[1], [2]], lambda a, b: a.union(b), 3, input_batches2=[[10], [20]])
    assert outputs == [[1, 10], [2, 20], []]


def test_the_kit_says_what_was_misused(local_sc):
    with pytest.raises(TypeError, match="must return a DStream, got list"):
        run_stream(local_sc, [[1]], lambda d: [d])
    with pytest.raises(TypeError, match="needs a StreamingContext on a ManualClock"):
        advance_batches(StreamingContext(local_sc, 1))
    with pytest.raises(RuntimeError, match="start the StreamingContext first"):
        advance_batches(manual_streaming_context(local_sc, 1))


def test_a_failed_batch_is_raised_by_advance_batches(local_sc):
    ssc = manual_streaming_context(local_sc, 1)
    collect_outputs(ssc.queueStream([[0]]).map(lambda x: 1 / x))
    ssc.start()
    with pytest.raises(ZeroDivisionError):
        advance_batches(ssc)
    ssc.stop(stopSparkContext=False)
