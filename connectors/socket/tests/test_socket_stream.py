"""ssc.socketTextStream against real TCP servers on 127.0.0.1."""

from __future__ import annotations

import threading

import pytest
from socket_servers import ScriptedServer

from ember import SparkConf, SparkContext
from ember.plugins.testing import free_port
from ember.streaming import StreamingContext, StreamingListener
from ember_socket.plugin import create_socket_source


class ReceiverEvents(StreamingListener):
    def __init__(self):
        self.errors: list[str] = []
        self.started = threading.Event()

    def onReceiverStarted(self, receiverStarted):
        self.started.set()

    def onReceiverError(self, receiverError):
        self.errors.append(receiverError.receiverInfo().lastErrorMessage())


@pytest.fixture
def serve():
    """``serve(scripts, port=0)``: a ScriptedServer closed when the test ends."""
    servers = []

    def start(scripts, port=0):
        servers.append(ScriptedServer(scripts, port))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def events(ssc):
    listener = ReceiverEvents()
    ssc.addStreamingListener(listener)
    return listener


def test_network_word_count_prints_each_batch_as_spark_does(ssc, collect, capsys, serve):
    lines = [b"to be or not to be\n", b"that is the question\n"]
    server = serve([lines])
    words = ssc.socketTextStream("127.0.0.1", server.port)
    counts = words.flatMap(lambda line: line.split(" ")).map(lambda w: (w, 1)).reduceByKey(lambda a, b: a + b)
    counts.pprint()
    seen = collect(counts)
    ssc.start()
    seen.wait_for(lambda c: sum(n for _, n in c.records) == 10)
    ssc.stop(stopSparkContext=False)
    totals: dict[str, int] = {}
    for word, count in seen.records:
        totals[word] = totals.get(word, 0) + count
    assert totals == {"to": 2, "be": 2, "or": 1, "not": 1, "that": 1, "is": 1, "the": 1, "question": 1}
    printed = capsys.readouterr().out
    assert "-" * 43 + "\nTime: " in printed
    for time, records in seen.batches:  # the lines may arrive in one batch or two
        if records:
            assert "\n".join(["-" * 43, f"Time: {time}", "-" * 43, *map(str, records)]) + "\n\n" in printed


def test_server_not_up_at_start_is_retried_until_it_is(ssc, collect, events, wait_until, serve):
    port = free_port()
    seen = collect(ssc.socketTextStream("127.0.0.1", port))
    ssc.start()
    wait_until(
        lambda: any("error connecting" in message for message in events.errors),
        what="the receiver to report that it cannot connect",
    )
    serve([[b"late\n"]], port=port)
    seen.wait_for(lambda c: c.records == ["late"])


def test_server_closing_mid_stream_reconnects_and_loses_nothing(ssc, collect, events, serve):
    server = serve([[b"a\nb\n"], [b"c\n", b"d\n"], [b"e\n"]])
    seen = collect(ssc.socketTextStream("127.0.0.1", server.port))
    ssc.start()
    seen.wait_for(lambda c: c.records == ["a", "b", "c", "d", "e"])
    assert server.accepted == 3
    assert any("had no more data" in message for message in events.errors)


def test_partial_last_line_and_huge_line(ssc, collect, serve):
    huge = b"y" * (8 * 1024 * 1024)
    server = serve([[b"first\n", huge[:1000], huge[1000:], b"\nlast without newline"]])
    seen = collect(ssc.socketTextStream("127.0.0.1", server.port))
    ssc.start()
    seen.wait_for(lambda c: len(c.records) == 3, timeout=30)
    first, big, last = seen.records
    assert (first, len(big), set(big), last) == ("first", len(huge), {"y"}, "last without newline")


def test_invalid_utf8_is_reported_with_its_position_and_the_stream_goes_on(ssc, collect, events, serve):
    server = serve([[b"good\n\xffbad\nafter\n"]])
    seen = collect(ssc.socketTextStream("127.0.0.1", server.port))
    ssc.start()
    seen.wait_for(lambda c: c.records == ["good", "\ufffdbad", "after"])
    assert any(
        "invalid UTF-8 at byte 5" in message and "line 2" in message for message in events.errors
    ), events.errors


def test_bad_arguments_are_clear_errors(ssc):
    with pytest.raises(ValueError, match="port must be an integer"):
        ssc.socketTextStream("127.0.0.1", "9999")
    with pytest.raises(ValueError, match="hostname"):
        ssc.socketTextStream("", 9999)


@pytest.mark.parametrize(
    ("setting", "expected_ms"), [("100ms", 100), ("2s", 2000), ("1min", 60_000), ("750", 750)]
)
def test_the_restart_delay_setting_takes_spark_durations(setting, expected_ms):
    conf = SparkConf().set("spark.streaming.receiverRestartDelay", setting)
    with SparkContext("local[1]", "restart-delay", conf=conf) as sc:
        ssc = StreamingContext(sc, 1)
        assert create_socket_source(ssc, "127.0.0.1", 9999).backoff.max_ms == expected_ms


def test_a_restart_delay_that_is_not_a_duration_is_a_clear_error():
    conf = SparkConf().set("spark.streaming.receiverRestartDelay", "soon")
    message = r"spark.streaming.receiverRestartDelay='soon' is not a duration"
    with SparkContext("local[1]", "restart-delay", conf=conf) as sc, pytest.raises(ValueError, match=message):
        StreamingContext(sc, 1).socketTextStream("127.0.0.1", 9999)


def test_two_receivers_on_one_task_slot_still_leave_room_to_process(sc, collect, serve):
    """Spark's local[2] with two receivers processes nothing (each receiver holds a slot);
    ember's receivers run on threads of their own, so even local[1] processes both."""
    one, two = serve([[b"from one\n"]]), serve([[b"from two\n"]])
    ssc = StreamingContext(sc, 0.1)
    both = ssc.socketTextStream("127.0.0.1", one.port).union(ssc.socketTextStream("127.0.0.1", two.port))
    seen = collect(both.map(str.upper))
    ssc.start()
    try:
        seen.wait_for(lambda c: sorted(c.records) == ["FROM ONE", "FROM TWO"])
    finally:
        ssc.stop(stopSparkContext=False)
