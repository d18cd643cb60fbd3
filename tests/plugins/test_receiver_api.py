"""The Receiver API under a running StreamingContext: store, storeBlock, restart, errors,
listener events, blocks per batch and the receiver rate limit."""

from __future__ import annotations

import threading
import time

import pytest

from ember.plugins import Receiver, ReceiverStoppedError, SourceKind, create_source_stream
from ember.plugins.testing import BatchCollector
from ember.streaming import StreamingContext, StreamingListener, source_status
from ember.streaming.blocks import BlockBuffer, RateLimiter


class CountingReceiver(Receiver):
    """Stores 0..9 one by one and 10..19 as a block, asks for one restart, then repeats
    nothing: the second start stores only the marker "restarted"."""

    def __init__(self):
        super().__init__()
        self.starts = 0
        self.stops = 0

    def onStart(self):
        self.starts += 1
        threading.Thread(target=self._run, args=(self.starts,), daemon=True).start()

    def _run(self, attempt):
        if attempt == 1:
            for number in range(10):
                self.store(number)
            self.storeBlock(range(10, 20))
            self.reportError("a warning worth telling", ValueError("disk almost full"))
            self.restart("simulated disconnect", delay_ms=10)
        else:
            self.store("restarted")

    def onStop(self):
        self.stops += 1


class Events(StreamingListener):
    def __init__(self):
        self.seen: list[tuple[str, str]] = []
        self.stopped = threading.Event()

    def onReceiverStarted(self, event):
        self.seen.append(("started", event.receiverInfo().name()))

    def onReceiverError(self, event):
        self.seen.append(("error", event.receiverInfo().lastErrorMessage()))

    def onReceiverStopped(self, event):
        self.seen.append(("stopped", event.receiverInfo().name()))
        self.stopped.set()


@pytest.fixture
def receiver_plugin(plugins, make_plugin):
    receiver = CountingReceiver()
    plugins(
        counting=make_plugin(
            "counting", ember_source_kinds=lambda: [SourceKind("counting", lambda ssc: receiver)]
        )
    )
    return receiver


def test_records_blocks_restarts_and_events_reach_the_stream(sc, receiver_plugin):
    ssc = StreamingContext(sc, 0.1)
    events = Events()
    ssc.addStreamingListener(events)
    stream = create_source_stream(ssc, "counting")
    seen = BatchCollector(stream)
    ssc.start()
    seen.wait_for(lambda c: "restarted" in c.records)
    ssc.stop(stopSparkContext=False)
    assert sorted(r for r in seen.records if r != "restarted") == list(range(20))
    # the receiver ran where the executor put it (a worker process on local[N]): its one
    # restart is counted by the engine
    [source] = source_status(ssc)
    assert source.restarts == 1 and not source.active
    assert events.stopped.wait(5)
    kinds = [kind for kind, _ in events.seen]
    assert kinds[0] == "started" and kinds[-1] == "stopped" and kinds.count("started") == 1
    messages = [message for kind, message in events.seen if kind == "error"]
    assert "a warning worth telling" in messages
    assert any("restarting receiver in 10 ms: simulated disconnect" in m for m in messages)


class VirtualTime:
    """A clock the test advances by hand; ``wait`` advances it (and is never interrupted)."""

    def __init__(self):
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def wait(self, seconds: float) -> bool:
        self.slept.append(round(seconds, 6))
        self.now += seconds
        return False


def test_the_rate_limiter_spaces_permits_evenly_and_saves_none_while_idle():
    time = VirtualTime()
    limiter = RateLimiter(10, clock=time.clock, wait=time.wait)
    for _ in range(3):
        limiter.acquire()
    assert time.slept == [0.1, 0.1]
    time.now += 5  # idle: the next burst is throttled all the same
    time.slept.clear()
    limiter.acquire(5)
    limiter.acquire(1)
    assert time.slept == [0.5]
    assert RateLimiter(0).unlimited


def test_a_closed_buffer_refuses_stores_and_wakes_a_throttled_one():
    in_the_limiter = threading.Event()

    def clock() -> float:
        """The limiter's clock; the throttled thread reads it past the buffer's closed check,
        just before it waits for its permit."""
        if threading.current_thread().name == "throttled":
            in_the_limiter.set()
        return time.monotonic()

    buffer = BlockBuffer(200, RateLimiter(0.5, clock=clock))
    buffer.add("first")  # the next permit is due in 2 s
    refused = []

    def throttled():
        try:
            buffer.add("second")
        except ReceiverStoppedError as error:
            refused.append(error)

    waiting = threading.Thread(target=throttled, name="throttled")
    waiting.start()
    assert in_the_limiter.wait(10)  # closed while it waits, not before it tried
    buffer.close()
    waiting.join(1)  # woken by close, not after the 2 s
    assert not waiting.is_alive() and len(refused) == 1
    with pytest.raises(ReceiverStoppedError, match="not stored"):
        buffer.add_block(["late"])
    assert buffer.take_blocks() == [["first"]]


def test_blocks_are_cut_by_the_block_interval_and_taken_per_batch():
    time = VirtualTime()
    buffer = BlockBuffer(200, RateLimiter(0), clock=time.clock)
    buffer.add("a")
    time.now += 0.1
    buffer.add("b")
    time.now += 0.15
    buffer.add("c")  # 250 ms after the block began: a new block
    buffer.add_block(["x", "y"])
    buffer.add("d")
    assert buffer.take_blocks() == [["a", "b"], ["c"], ["x", "y"], ["d"]]
    assert buffer.take_blocks() == []


def test_the_receiver_max_rate_setting_throttles_the_storing_thread(sc, plugins, make_plugin):
    sc._conf.set("spark.streaming.receiver.maxRate", "200")

    class Burst(Receiver):
        def onStart(self):
            threading.Thread(target=lambda: [self.store(i) for i in range(60)], daemon=True).start()

        def onStop(self):
            pass

    plugins(burst=make_plugin("burst", ember_source_kinds=lambda: [SourceKind("burst", lambda ssc: Burst())]))
    ssc = StreamingContext(sc, 0.1)
    seen = BatchCollector(create_source_stream(ssc, "burst"))
    ssc.start()
    seen.wait_for(lambda c: len(c.records) == 60)
    ssc.stop(stopSparkContext=False)
    batches_with_data = [records for _, records in seen.batches if records]
    # 60 records at 200/s take 0.3 s: they cannot all land in one 100 ms batch
    assert len(batches_with_data) >= 3 and max(map(len, batches_with_data)) <= 40
