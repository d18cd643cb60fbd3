"""The batch scheduler: batch times, ordering, delays, listener events, errors and stopping."""

from __future__ import annotations

import threading
import time
import traceback

import pytest

from ember.streaming import InputDStream, StreamingContext, StreamingListener, SystemClock
from ember.testing import advance_batches, collect_outputs, manual_streaming_context


class Recorder(StreamingListener):
    """Records every event name and the batch infos of completed batches."""

    def __init__(self):
        self.events: list[str] = []
        self.completed = []

    def __getattribute__(self, name):
        if name.startswith("on") and name != "onBatchCompleted":
            return lambda event: self.events.append(name)
        return object.__getattribute__(self, name)

    def onBatchCompleted(self, batchCompleted):
        self.events.append("onBatchCompleted")
        self.completed.append(batchCompleted.batchInfo())


class CountingSource(InputDStream):
    """An input stream that yields one record per batch index and reports its count."""

    def __init__(self, ssc):
        super().__init__(ssc)
        self.calls: list[str] = []

    def start(self):
        self.calls.append("start")

    def stop(self):
        self.calls.append("stop")

    def compute(self, time_ms):
        self.calls.append(f"compute {time_ms}")
        return self._sc.parallelize(range(time_ms // 1000), 1)

    def num_records(self, time_ms):
        return time_ms // 1000


def test_batch_times_are_interval_multiples_after_the_zero_time(local_sc):
    ssc = manual_streaming_context(local_sc, 0.5, start_ms=1234)
    times = []
    ssc.queueStream([[1], [2], [3]]).foreachRDD(lambda t, rdd: times.append(t.timestamp()))
    ssc.start()
    advance_batches(ssc, 2)  # the clock moves 1234 -> 1734 -> 2234
    ssc.stop(stopSparkContext=False)
    assert times == [1.5, 2.0]


def test_outputs_run_in_registration_order_batch_after_batch(local_sc):
    ssc = manual_streaming_context(local_sc, 1)
    seen = []
    stream = ssc.queueStream([[1], [2]])
    stream.foreachRDD(lambda rdd: seen.append(("first", rdd.collect())))
    stream.map(lambda x: x * 10).foreachRDD(lambda rdd: seen.append(("second", rdd.collect())))
    ssc.start()
    advance_batches(ssc, 2)
    ssc.stop(stopSparkContext=False)
    assert seen == [("first", [1]), ("second", [10]), ("first", [2]), ("second", [20])]


def test_the_system_clock_does_not_drift(local_sc):
    ssc = StreamingContext(local_sc, 0.05)
    times, enough = [], threading.Event()

    def slow(t, rdd):
        times.append(round(t.timestamp() * 1000))
        if len(times) == 1:
            enough.wait(0.12)  # the first batch takes more than two intervals
        if len(times) >= 5:
            enough.set()

    ssc.queueStream([[1]]).foreachRDD(slow)
    ssc.start()
    assert enough.wait(10)
    ssc.stop(stopSparkContext=False)
    assert [b - a for a, b in zip(times, times[1:5])] == [50, 50, 50, 50]
    assert times[0] % 50 == 0


def test_slow_batches_queue_and_their_scheduling_delay_grows(local_sc):
    ssc = manual_streaming_context(local_sc, 1)
    recorder = Recorder()
    ssc.addStreamingListener(recorder)
    clock = ssc.clock

    def slow(rdd):  # each batch takes 1.5 intervals of (manual) time
        if clock.time_ms() < 7000:
            clock.advance(1500)

    ssc.queueStream([[1]]).foreachRDD(slow)
    ssc.start()
    clock.advance(1000)
    assert ssc._scheduler.wait_for_batch(4000, 10)
    ssc.stop(stopSparkContext=False)
    infos = recorder.completed[:4]
    assert [i.batchTime().milliseconds() for i in infos] == [1000, 2000, 3000, 4000]
    assert [i.schedulingDelay() for i in infos] == [0, 500, 1000, 1500]
    assert [i.processingDelay() for i in infos] == [1500, 1500, 1500, 1500]
    assert [i.totalDelay() for i in infos] == [1500, 2000, 2500, 3000]


def test_listener_sees_every_event_in_order_with_record_counts(local_sc):
    ssc = manual_streaming_context(local_sc, 1)
    recorder = Recorder()
    ssc.addStreamingListener(recorder)
    source = CountingSource(ssc)
    source.count().foreachRDD(lambda rdd: None)
    source.foreachRDD(lambda rdd: None)
    ssc.start()
    advance_batches(ssc, 2)
    ssc.stop(stopSparkContext=False)
    one_batch = [
        "onBatchSubmitted",
        "onBatchStarted",
        "onOutputOperationStarted",
        "onOutputOperationCompleted",
        "onOutputOperationStarted",
        "onOutputOperationCompleted",
        "onBatchCompleted",
    ]
    assert recorder.events == ["onStreamingStarted"] + one_batch * 2
    first, second = recorder.completed
    assert (first.numRecords(), second.numRecords()) == (1, 2)
    assert {i: s.numRecords() for i, s in second.streamIdToInputInfo().items()} == {source.id: 2}
    assert (second.batchTime().milliseconds(), second.submissionTime(), second.processingStartTime()) == (
        2000,
        2000,
        2000,
    )
    assert [(o.id(), o.name(), o.failureReason()) for o in first.outputOperationInfos().values()] == [
        (0, "foreachRDD", None),
        (1, "foreachRDD", None),
    ]
    assert source.calls == ["start", "compute 1000", "compute 2000", "stop"]


def test_a_failing_listener_does_not_stop_the_stream(local_sc):
    class Broken(StreamingListener):
        def onBatchCompleted(self, batchCompleted):
            raise RuntimeError("listener bug")

    ssc = manual_streaming_context(local_sc, 1)
    ssc.addStreamingListener(Broken())
    outputs = collect_outputs(ssc.queueStream([[1], [2]]))
    ssc.start()
    advance_batches(ssc, 2)
    ssc.stop(stopSparkContext=False)
    assert outputs == [[1], [2]]


def _explode_on_two(x):
    if x == 2:
        raise ValueError(f"cannot handle {x}")
    return x


@pytest.mark.parametrize("where", ["task", "driver"])
def test_a_failed_batch_raises_its_error_and_later_batches_keep_their_results(sc, where):
    ssc = manual_streaming_context(sc, 1)
    recorder = Recorder()
    ssc.addStreamingListener(recorder)
    stream = ssc.queueStream([[1], [2], [3]])
    if where == "task":
        outputs = collect_outputs(stream.map(_explode_on_two))
    else:
        outputs = []
        stream.foreachRDD(lambda rdd: outputs.append([_explode_on_two(x) for x in rdd.collect()]))
    ssc.start()
    advance_batches(ssc, 3, raise_errors=False)
    with pytest.raises(ValueError, match="cannot handle 2") as raised:
        ssc.awaitTerminationOrTimeout(5)
    ssc.stop(stopSparkContext=False)
    assert outputs == [[1], [3]]
    # the user's frame is in the traceback (or, from a worker process, in the worker's traceback)
    assert "in _explode_on_two" in "".join(traceback.format_exception(raised.value))
    failed = recorder.completed[1].outputOperationInfos()[0]
    # Spark's failure reason: the error, then its stack trace (here the user's own frames)
    assert failed.failureReason().splitlines()[0] == "ValueError: cannot handle 2"
    assert "in _explode_on_two" in failed.failureReason()


def test_an_error_while_building_a_batch_is_raised_too(local_sc):
    ssc = manual_streaming_context(local_sc, 1)

    def bad_transform(rdd):
        if rdd.collect() == [2]:
            raise KeyError("no such thing")
        return rdd

    outputs = collect_outputs(ssc.queueStream([[1], [2], [3]]).transform(bad_transform))
    ssc.start()
    advance_batches(ssc, 3, raise_errors=False)
    with pytest.raises(KeyError, match="no such thing"):
        ssc.awaitTermination(5)
    ssc.stop(stopSparkContext=False)
    assert outputs == [[1], [3]]


def _blocked_first_batch(sc):
    """A context whose first batch blocks until released, with two more batches queued."""
    ssc = manual_streaming_context(sc, 1)
    release, started, processed = threading.Event(), threading.Event(), []
    source = CountingSource(ssc)

    def block_first(rdd):
        started.set()
        if not processed:
            assert release.wait(10)
        processed.append(rdd.collect())

    source.foreachRDD(block_first)
    ssc.start()
    ssc.clock.advance(3000)
    assert started.wait(10)
    return ssc, source, release, processed


def test_a_graceful_stop_processes_the_queued_batches(local_sc):
    ssc, source, release, processed = _blocked_first_batch(local_sc)
    stopper = threading.Thread(target=ssc.stop, kwargs={"stopSparkContext": False, "stopGraceFully": True})
    stopper.start()
    release.set()
    stopper.join(10)
    assert processed == [[0], [0, 1], [0, 1, 2]]
    assert source.calls[-1] == "stop"


def test_an_immediate_stop_drops_the_queued_batches(local_sc):
    ssc, source, release, processed = _blocked_first_batch(local_sc)
    stopper = threading.Thread(target=ssc.stop, kwargs={"stopSparkContext": False})
    stopper.start()
    deadline = time.monotonic() + 10
    while not ssc._scheduler._drop_pending and time.monotonic() < deadline:
        time.sleep(0.001)  # waiting for a condition, not for a fixed time
    release.set()
    stopper.join(10)
    assert processed == [[0]]
    assert source.calls[-1] == "stop"


def test_stop_stops_the_spark_context_unless_told_not_to(local_sc):
    ssc = manual_streaming_context(local_sc, 1)
    ssc.queueStream([[1]]).pprint()
    ssc.start()
    ssc.stop(stopSparkContext=False)
    assert local_sc.parallelize([1]).count() == 1
    assert ssc.awaitTerminationOrTimeout(0) is True
    with pytest.raises(RuntimeError, match="already been stopped"):
        ssc.start()
    ssc.stop()
    with pytest.raises(RuntimeError, match="stopped SparkContext"):
        local_sc.parallelize([1]).count()


def test_await_termination_times_out_while_running(local_sc):
    ssc = manual_streaming_context(local_sc, 1)
    ssc.queueStream([[1]]).pprint()
    ssc.start()
    assert ssc.awaitTerminationOrTimeout(0.01) is False
    assert ssc.awaitTermination(0.01) is None
    ssc.stop(stopSparkContext=False)


def test_nothing_can_be_added_after_start_and_only_one_context_runs(local_sc):
    ssc = manual_streaming_context(local_sc, 1)
    stream = ssc.queueStream([[1]])
    stream.pprint()
    with pytest.raises(ValueError, match="No output operations"):
        manual_streaming_context(local_sc, 1).start()
    ssc.start()
    with pytest.raises(RuntimeError, match="after starting a context is not supported"):
        stream.map(str)
    other = manual_streaming_context(local_sc, 1)
    other.queueStream([[1]]).pprint()
    with pytest.raises(RuntimeError, match="Only one StreamingContext"):
        other.start()
    ssc.stop(stopSparkContext=False)


def test_get_active_and_get_or_create(local_sc, tmp_path):
    def setup():
        created = manual_streaming_context(local_sc, 1)
        created.queueStream([[1]]).pprint()
        return created

    assert StreamingContext.getActive() is None
    ssc = StreamingContext.getOrCreate(str(tmp_path / "ck"), setup)
    assert (tmp_path / "ck").is_dir() and ssc._checkpoint_dir == str(tmp_path / "ck")
    assert StreamingContext.getActiveOrCreate(None, setup) is not ssc
    ssc.start()
    assert StreamingContext.getActive() is ssc
    assert StreamingContext.getActiveOrCreate(None, setup) is ssc
    ssc.stop(stopSparkContext=False)
    assert StreamingContext.getActive() is None
    with pytest.raises(TypeError, match="setupFunc should return a StreamingContext"):
        StreamingContext.getActiveOrCreate(None, lambda: 42)
    with pytest.raises(TypeError, match="setupFunc should be callable"):
        StreamingContext.getActiveOrCreate(None, None)


def test_remember_keeps_rdds_for_slice(local_sc):
    ssc = manual_streaming_context(local_sc, 1)
    ssc.remember(5)
    stream = ssc.queueStream([[1], [2], [3], [4]])
    stream.pprint()
    ssc.start()
    advance_batches(ssc, 4)
    sliced = stream.slice(2, 4)
    assert [rdd.collect() for rdd in sliced] == [[2], [3], [4]]
    assert [rdd.collect() for rdd in stream.slice(0, 1.5)] == [[1]]
    ssc.stop(stopSparkContext=False)


def test_slice_before_start_is_an_error(local_sc):
    ssc = manual_streaming_context(local_sc, 1)
    with pytest.raises(RuntimeError, match="has not been initialized"):
        ssc.queueStream([[1]]).slice(0, 1)


def test_the_default_clock_is_the_system_clock(local_sc):
    assert isinstance(StreamingContext(local_sc, 1).clock, SystemClock)


def test_a_graceful_stop_on_the_system_clock_completes_every_submitted_batch(local_sc):
    ssc = StreamingContext(local_sc, 0.02)
    recorder = Recorder()
    ssc.addStreamingListener(recorder)
    first = threading.Event()
    ssc.queueStream([[i] for i in range(100)]).foreachRDD(lambda rdd: first.set())
    ssc.start()
    assert first.wait(10)
    ssc.stop(stopSparkContext=False, stopGraceFully=True)
    assert recorder.events.count("onBatchSubmitted") == recorder.events.count("onBatchCompleted") >= 1


@pytest.mark.parametrize(
    "args, error, message",
    [
        ((None,), ValueError, "needs a batchDuration"),
        ((0,), ValueError, "batchDuration must be positive, got 0 s"),
        (("1",), TypeError, "batchDuration must be a number of seconds, got str '1'"),
        ((0.0005,), ValueError, "batchDuration must be a whole number of milliseconds, got 0.0005 s"),
    ],
)
def test_a_bad_batch_duration_says_what_was_wrong(local_sc, args, error, message):
    with pytest.raises(error, match=message):
        StreamingContext(local_sc, *args)


def test_bad_constructor_and_queue_arguments(local_sc):
    with pytest.raises(TypeError, match="StreamingContext expects a SparkContext, got str"):
        StreamingContext("local", 1)
    ssc = StreamingContext(local_sc, 1)
    with pytest.raises(TypeError, match="queueStream expects RDDs or lists, but item 1 is int 5"):
        ssc.queueStream([[1], 5])
    with pytest.raises(TypeError, match="checkpoint\\(\\) expects a directory path, got 3"):
        ssc.checkpoint(3)
