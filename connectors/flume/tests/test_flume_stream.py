"""FlumeUtils.createStream against Apache Avro's own Requestor over Netty framing, on 127.0.0.1;
and a job killed with SIGKILL, recovered from its checkpoint, counting every acknowledged event."""

from __future__ import annotations

import json
import socket
import struct
import zlib

import avro.errors
import avro.protocol
import pytest
from flume_client import flume_client, netty_frame
from stream_batches import Collected
from stream_jobs import TotalsJob, counted_across_a_kill

from ember.plugins.testing import accepts, free_port, wait_until
from ember.streaming.flume import FlumeUtils
from ember_flume import PollingStreamUnsupported
from ember_flume.protocol import AVRO_SOURCE_PROTOCOL


@pytest.fixture
def connect():
    """``connect(port, deflate=False, stateful=False)``: a Flume client, closed after the test."""
    opened = []

    def open_client(port: int, **options):
        opened.append(flume_client(port, **options))
        return opened[-1]

    yield open_client
    for client in opened:
        client.transceiver.close()


def listening_stream(ssc, **options):
    port = free_port()
    stream = FlumeUtils.createStream(ssc, "127.0.0.1", port, **options)
    seen = Collected(stream)
    ssc.start()
    wait_until(lambda: accepts(port), what=f"the Flume receiver to listen on {port}")
    return port, seen


def test_word_count_of_batches_sent_by_an_avro_requestor(ssc, connect):
    port = free_port()
    events = FlumeUtils.createStream(ssc, "127.0.0.1", port)
    counts = events.flatMap(lambda e: e[1].split()).map(lambda w: (w, 1)).reduceByKey(lambda a, b: a + b)
    seen = Collected(counts)
    ssc.start()
    wait_until(lambda: accepts(port), what="the Flume receiver to listen")
    client = connect(port)
    assert client.append_batch([({"host": "a"}, b"to be or"), ({}, "not to bé".encode())]) == "OK"
    assert client.append({"host": "b"}, b"to be") == "OK"
    seen.wait_for(lambda records: sum(n for _, n in records) == 8)
    totals: dict[str, int] = {}
    for word, count in seen.records:
        totals[word] = totals.get(word, 0) + count
    assert totals == {"to": 3, "be": 2, "or": 1, "not": 1, "bé": 1}


def test_events_are_headers_and_decoded_body_on_a_stateful_connection(ssc, connect):
    port, seen = listening_stream(ssc, bodyDecoder=lambda body: body[::-1])
    client = connect(port, stateful=True)
    sent = [({"n": str(i), "k": "v"}, f"event {i}".encode()) for i in range(5)]
    assert client.append_batch(sent[:3]) == "OK"
    assert client.connected, "the first call's handshake should have completed"
    assert client.append(*sent[3]) == "OK"  # no handshake on these calls, as Java's
    assert client.append_batch(sent[4:]) == "OK"  # Netty transceiver does
    seen.wait_for(lambda records: len(records) == 5)
    assert seen.records == [(headers, body[::-1]) for headers, body in sent]


def test_deflate_compressed_connection(ssc, connect):
    port, seen = listening_stream(ssc, enableDecompression=True)
    client = connect(port, deflate=True, stateful=True)
    bodies = [("word " * 3000 + str(i)).encode() for i in range(20)]  # frames of many 8 KiB buffers
    assert client.append_batch([({}, b) for b in bodies[:10]]) == "OK"
    assert client.append_batch([({}, b) for b in bodies[10:]]) == "OK"
    seen.wait_for(lambda records: len(records) == 20)
    assert [body for _, body in seen.records] == [b.decode() for b in bodies]


def test_a_client_with_another_version_of_the_protocol_negotiates_the_handshake(ssc, connect):
    """A client whose protocol differs (here by one more message) guesses the server's hash
    wrong: the handshake answers NONE, the Requestor resends with its protocol, and calls go
    through on the messages both sides know."""
    newer = json.loads(str(AVRO_SOURCE_PROTOCOL))
    newer["messages"]["ping"] = {"request": [], "response": "Status"}
    port, seen = listening_stream(ssc)
    client = connect(port)
    client._local_protocol = avro.protocol.parse(json.dumps(newer))
    assert client.local_protocol.md5 != AVRO_SOURCE_PROTOCOL.md5
    assert client.append({"from": "newer"}, b"hello") == "OK"
    assert client.append({"from": "newer"}, b"again") == "OK"
    seen.wait_for(lambda records: len(records) == 2)
    assert seen.records == [({"from": "newer"}, "hello"), ({"from": "newer"}, "again")]


def raw_connection(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def closed_by_server(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


@pytest.mark.parametrize(
    "bad_bytes, reported",
    [
        (netty_frame(1, b"x" * 100)[:60], "closed the connection in the middle of a frame"),
        (struct.pack(">ii", 7, 2_000_000_000), "announces 2000000000 buffers"),
        (struct.pack(">iii", 7, 1, 1 << 30), "larger than the limit of 1048576 bytes"),
        (netty_frame(3, bytes(range(256)) * 4), "is not valid Avro RPC for AvroSourceProtocol"),
        (zlib.compress(netty_frame(4, b"data")), "set enableDecompression=True"),
    ],
    ids=["truncated", "too-many-buffers", "oversized", "garbage", "compressed-unexpectedly"],
)
def test_bad_frames_close_that_connection_only_and_lose_nothing_acknowledged(
    ssc, connect, events, bad_bytes, reported
):
    port, seen = listening_stream(ssc, maxFrameBytes=1 << 20)
    good = connect(port, stateful=True)
    assert good.append({}, b"before") == "OK"
    bad = raw_connection(port)
    bad.sendall(bad_bytes)
    if "middle of a frame" in reported:
        bad.shutdown(socket.SHUT_WR)
    assert closed_by_server(bad)
    bad.close()
    wait_until(lambda: events.saw(reported), what=f"the receiver to report {reported!r}")
    assert good.append({}, b"after") == "OK"
    seen.wait_for(lambda records: [body for _, body in records] == ["before", "after"])


def test_deflate_receiver_rejects_an_uncompressed_stream(ssc, events):
    port, seen = listening_stream(ssc, enableDecompression=True)
    bad = raw_connection(port)
    bad.sendall(netty_frame(1, b"plain bytes"))
    assert closed_by_server(bad)
    wait_until(
        lambda: events.saw("not a deflate (zlib) stream", "compression-type = deflate"),
        what="the receiver to report the uncompressed stream",
    )


def test_port_in_use_is_reported_clearly(ssc, events):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        Collected(FlumeUtils.createStream(ssc, "127.0.0.1", port))
        ssc.start()
        wait_until(
            lambda: events.saw(f"cannot listen on 127.0.0.1:{port}"),
            what="the receiver to report the port in use",
        )


def test_polling_stream_explains_that_it_needs_sparks_flume_sink(ssc):
    with pytest.raises(PollingStreamUnsupported, match="Spark's custom Flume sink.*createStream"):
        FlumeUtils.createPollingStream(ssc, [("localhost", 9999)])


@pytest.mark.parametrize("hostname, port", [("", 4141), ("localhost", 0), ("localhost", "4141")])
def test_bad_address_is_a_clear_error(ssc, hostname, port):
    with pytest.raises(ValueError, match="FlumeUtils.createStream"):
        FlumeUtils.createStream(ssc, hostname, port)


def test_flume_events_acknowledged_before_a_sigkill_are_all_counted(tmp_path):
    port = free_port()
    job = TotalsJob(tmp_path, "flume", "127.0.0.1", str(port)).start()
    clients = []

    def send(batch: list[str]) -> bool:
        """As a Flume Avro sink: a batch not acknowledged OK is sent again, on a new connection."""
        try:
            if not clients:
                clients.append(flume_client(port, stateful=True))
            return clients[0].append_batch([({}, record.encode()) for record in batch]) == "OK"
        except (OSError, avro.errors.AvroException):
            clients.clear()
            return False

    try:
        counted = counted_across_a_kill(job, send)
    finally:
        for client in clients:
            client.transceiver.close()
    # an acknowledged batch is in the write-ahead log: counted once, and what was counted before
    # the kill is not counted again; only a batch sent again (its acknowledgement lost in the
    # kill) may count twice, never more often than it was sent
    assert all(counted.totals[record] == 1 for record in counted.acknowledged if counted.sent[record] == 1)
    assert all(counted.totals[record] == total for record, total in counted.at_kill.items())
    assert all(total <= counted.sent[record] for record, total in counted.totals.items())
