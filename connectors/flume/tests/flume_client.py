"""A Flume Avro sink's side of the wire, for the Flume receiver's tests: Apache Avro's own
``avro.ipc.Requestor`` over a TCP transceiver that writes Netty frames the way Avro's Java
NettyTransceiver does (8 KiB buffers), optionally inside a zlib stream as Flume's
``compression-type = deflate``.  Written from the format, independently of ember_flume."""

from __future__ import annotations

import itertools
import socket
import struct
import zlib

import avro.io
import avro.ipc

from ember_flume.protocol import AVRO_SOURCE_PROTOCOL

JAVA_BUFFER_BYTES = 8192


def netty_frame(serial: int, payload: bytes) -> bytes:
    chunks = [payload[i : i + JAVA_BUFFER_BYTES] for i in range(0, len(payload), JAVA_BUFFER_BYTES)]
    out = [struct.pack(">ii", serial, len(chunks))]
    for chunk in chunks:
        out += [struct.pack(">i", len(chunk)), chunk]
    return b"".join(out)


class NettyTransceiver:
    """Sends one framed call and reads the framed reply with the same serial."""

    def __init__(self, port: int, deflate: bool = False):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.remote_name = f"127.0.0.1:{port}:{id(self)}"
        self._serials = itertools.count(1)
        self._deflate = zlib.compressobj(6) if deflate else None
        self._inflate = zlib.decompressobj() if deflate else None
        self._received = b""

    def send_raw(self, data: bytes) -> None:
        if self._deflate:
            data = self._deflate.compress(data) + self._deflate.flush(zlib.Z_SYNC_FLUSH)
        self.sock.sendall(data)

    def transceive(self, request: bytes) -> bytes:
        serial = next(self._serials)
        self.send_raw(netty_frame(serial, request))
        reply_serial, count = struct.unpack(">ii", self._read(8))
        assert reply_serial == serial, f"reply to serial {reply_serial}, expected {serial}"
        parts = []
        for _ in range(count):
            (length,) = struct.unpack(">i", self._read(4))
            parts.append(self._read(length))
        return b"".join(parts)

    def _read(self, size: int) -> bytes:
        while len(self._received) < size:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("the server closed the connection")
            self._received += self._inflate.decompress(data) if self._inflate else data
        wanted, self._received = self._received[:size], self._received[size:]
        return wanted

    def close(self) -> None:
        self.sock.close()


class FlumeRequestor(avro.ipc.Requestor):
    """``avro.ipc.Requestor`` for AvroSourceProtocol; with ``stateful``, it handshakes on the
    connection's first call only, as Java's Netty transceiver (and so Flume) does."""

    def __init__(self, transceiver: NettyTransceiver, stateful: bool = False):
        super().__init__(AVRO_SOURCE_PROTOCOL, transceiver)
        self.stateful = stateful
        self.connected = False

    def write_handshake_request(self, encoder):
        if not (self.stateful and self.connected):
            super().write_handshake_request(encoder)

    def read_handshake_response(self, decoder):
        if self.stateful and self.connected:
            return True
        complete = super().read_handshake_response(decoder)
        self.connected = complete
        return complete

    def append_batch(self, events: list[tuple[dict[str, str], bytes]]) -> str:
        return self.request("appendBatch", {"events": [{"headers": h, "body": b} for h, b in events]})

    def append(self, headers: dict[str, str], body: bytes) -> str:
        return self.request("append", {"event": {"headers": headers, "body": body}})


def flume_client(port: int, deflate: bool = False, stateful: bool = False) -> FlumeRequestor:
    return FlumeRequestor(NettyTransceiver(port, deflate), stateful)
