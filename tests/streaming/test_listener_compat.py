"""A StreamingListener written for PySpark runs on ember unchanged.

PySpark listeners get py4j proxies of Spark's JavaStreamingListener events: every field is an
accessor method, times and delays are longs with -1 for "not yet", a missing string is None
(Java's null) and batch times are Spark ``Time`` objects.  ``PortedListener`` is written that
way, only its import is ember's; the run is on a manual clock so every value is known.
"""

from __future__ import annotations

import threading

import pytest

from ember.pluginhost.manager import PluginManager, using_plugins
from ember.plugins import Receiver, SourceKind, create_source_stream, hookimpl
from ember.streaming.listener import StreamingListener
from ember.testing import advance_batches, collect_outputs, manual_streaming_context


class PortedListener(StreamingListener):
    """Keeps what a PySpark listener would read from each event."""

    def __init__(self):
        super().__init__()
        self.started_at = []
        self.submitted, self.started, self.completed = [], [], []
        self.ops_started, self.ops_completed = [], []
        self.receiver_events = []
        self.receiver_up = threading.Event()
        self.receiver_down = threading.Event()

    def onStreamingStarted(self, streamingStarted):
        self.started_at.append(streamingStarted.time())

    def onBatchSubmitted(self, batchSubmitted):
        self.submitted.append(batchSubmitted.batchInfo())

    def onBatchStarted(self, batchStarted):
        self.started.append(batchStarted.batchInfo())

    def onBatchCompleted(self, batchCompleted):
        self.completed.append(batchCompleted.batchInfo())

    def onOutputOperationStarted(self, outputOperationStarted):
        self.ops_started.append(outputOperationStarted.outputOperationInfo())

    def onOutputOperationCompleted(self, outputOperationCompleted):
        self.ops_completed.append(outputOperationCompleted.outputOperationInfo())

    def _receiver(self, kind, info):
        self.receiver_events.append(
            (
                kind,
                info.streamId(),
                info.name(),
                info.active(),
                info.location(),
                info.executorId(),
                info.lastErrorMessage(),
                info.lastError(),
                info.lastErrorTime(),
            )
        )

    def onReceiverStarted(self, receiverStarted):
        self._receiver("started", receiverStarted.receiverInfo())
        self.receiver_up.set()

    def onReceiverError(self, receiverError):
        self._receiver("error", receiverError.receiverInfo())

    def onReceiverStopped(self, receiverStopped):
        self._receiver("stopped", receiverStopped.receiverInfo())
        self.receiver_down.set()


class ThreeRecords(Receiver):
    """Stores three records and reports one error, then waits to be stopped."""

    def __init__(self):
        super().__init__()
        self.stored = threading.Event()

    def onStart(self):
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        for record in ("a", "b", "c"):
            self.store(record)
        self.reportError("disk almost full", ValueError("97%"))
        self.stored.set()

    def onStop(self):
        pass


@pytest.fixture
def three_records():
    receiver = ThreeRecords()

    class Plugin:
        @hookimpl
        def ember_source_kinds(self):
            return [SourceKind("three", lambda ssc: receiver)]

    manager = PluginManager(group=None)
    manager.add_plugin(Plugin(), "three", distribution="test-three")
    with using_plugins(manager):
        yield receiver


def test_a_pyspark_listener_reads_the_same_methods_and_values(local_sc, three_records):
    ssc = manual_streaming_context(local_sc, 1, start_ms=0)
    listener = PortedListener()
    ssc.addStreamingListener(listener)
    stream = create_source_stream(ssc, "three")
    outputs = collect_outputs(stream)
    ssc.start()
    assert listener.receiver_up.wait(10) and three_records.stored.wait(10)
    advance_batches(ssc, 2)
    ssc.stop(stopSparkContext=False)
    assert listener.receiver_down.wait(10)
    assert outputs == [["a", "b", "c"], []]

    assert listener.started_at == [0]

    first_submitted, first_started, first = listener.submitted[0], listener.started[0], listener.completed[0]
    for info in (first_submitted, first_started, first):
        assert info.batchTime().milliseconds() == 1000
        assert info.submissionTime() == 1000
        assert info.numRecords() == 3
        inputs = info.streamIdToInputInfo()
        assert list(inputs) == [stream.id]
        assert inputs[stream.id].inputStreamId() == stream.id
        assert inputs[stream.id].numRecords() == 3
        assert inputs[stream.id].metadata() == {}
        assert inputs[stream.id].metadataDescription() is None
    # each event has its own info, as through py4j: the submitted one still says "not yet"
    assert (first_submitted.processingStartTime(), first_submitted.processingEndTime()) == (-1, -1)
    assert (
        first_submitted.schedulingDelay(),
        first_submitted.processingDelay(),
        first_submitted.totalDelay(),
    ) == (-1, -1, -1)
    assert (first_started.processingStartTime(), first_started.schedulingDelay()) == (1000, 0)
    assert (first_started.processingDelay(), first_started.totalDelay()) == (-1, -1)
    # the manual clock stands still while the batch runs
    assert (first.processingStartTime(), first.processingEndTime()) == (1000, 1000)
    assert (first.schedulingDelay(), first.processingDelay(), first.totalDelay()) == (0, 0, 0)

    ((op_id, op),) = first.outputOperationInfos().items()
    assert (op_id, op.id(), op.name(), op.batchTime().milliseconds()) == (0, 0, "foreachRDD", 1000)
    assert "foreachRDD" in op.description()
    assert (op.startTime(), op.endTime(), op.failureReason()) == (1000, 1000, None)
    assert [(o.startTime(), o.endTime()) for o in listener.ops_started] == [(1000, -1), (2000, -1)]
    assert [(o.startTime(), o.endTime()) for o in listener.ops_completed] == [(1000, 1000), (2000, 2000)]

    second = listener.completed[1]
    assert second.batchTime().milliseconds() == 2000 and second.numRecords() == 0
    assert second.streamIdToInputInfo()[stream.id].numRecords() == 0

    kinds = [event[0] for event in listener.receiver_events]
    assert kinds == ["started", "error", "stopped"]
    started, error, stopped = listener.receiver_events
    assert started[1:4] == (stream.id, "ThreeRecords", True)
    assert started[5:] == ("driver", "", "", -1)
    assert started[4]  # the host the receiver runs on
    assert error[6:8] == ("disk almost full", "ValueError('97%')")
    assert error[8] > 0
    assert stopped[3] is False
