"""The Flume receiver: an Avro RPC server that Flume agents' Avro sinks send events to.

It listens on ``hostname:port`` and serves each connection on a thread of its own: frames in,
``AvroSourceProtocol`` calls answered, frames out.  A call's events are stored as one block and
only then answered OK, so an event the agent saw acknowledged is in ember (and, with the
write-ahead log on, logged); anything else is answered FAILED or not at all, and the agent
sends it again.  A connection that sends bytes which are not Avro RPC (truncated, oversized or
garbage frames) is reported and closed; the server and the other connections go on.
"""

from __future__ import annotations

import socket
import threading

from ember.plugins import Receiver, ReceiverStoppedError, StorageLevel
from ember_flume.framing import (
    DEFAULT_MAX_FRAME_BYTES,
    Deflater,
    FrameError,
    FrameReader,
    Inflater,
    encode_frame,
)
from ember_flume.protocol import ConnectionResponder

READ_SIZE = 64 * 1024
ACCEPT_BACKLOG = 64


class FlumeReceiver(Receiver):
    """Serves Flume's Avro sinks on ``hostname:port``; stores ``(headers, body bytes)`` events."""

    def __init__(
        self,
        hostname: str,
        port: int,
        enableDecompression: bool = False,
        storageLevel: StorageLevel = StorageLevel.MEMORY_AND_DISK_2,
        max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
    ):
        super().__init__(storageLevel)
        self.hostname = hostname
        self.port = port
        self.enableDecompression = enableDecompression
        self.max_frame_bytes = max_frame_bytes
        self._listener: socket.socket | None = None
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()

    def name(self) -> str:
        return f"FlumeReceiver({self.hostname}:{self.port})"

    def onStart(self) -> None:
        try:
            listener = socket.create_server(
                (self.hostname, self.port), backlog=ACCEPT_BACKLOG, reuse_port=False
            )
        except OSError as error:
            raise OSError(
                f"the Flume receiver cannot listen on {self.hostname}:{self.port}: "
                f"{error.strerror or error}"
            ) from error
        with self._lock:
            self._listener = listener
        threading.Thread(
            target=self._accept, args=(listener,), daemon=True, name=f"ember-{self.name()}-accept"
        ).start()

    def onStop(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            connections, self._connections = self._connections, set()
        for sock in ([listener] if listener else []) + list(connections):
            _close(sock)

    def _accept(self, listener: socket.socket) -> None:
        while not self.isStopped():
            try:
                connection, peer = listener.accept()
            except OSError:
                return  # the listener was closed by onStop
            with self._lock:
                if self._listener is not listener:
                    _close(connection)
                    return
                self._connections.add(connection)
            threading.Thread(
                target=self._serve,
                args=(connection, f"{peer[0]}:{peer[1]}"),
                daemon=True,
                name=f"ember-{self.name()}-{peer[1]}",
            ).start()

    def _serve(self, connection: socket.socket, peer: str) -> None:
        """One connection's life: read frames, answer each call, until the peer or ember ends it."""
        frames = FrameReader(self.max_frame_bytes)
        inflater = Inflater(self.max_frame_bytes + READ_SIZE) if self.enableDecompression else None
        deflater = Deflater() if self.enableDecompression else None
        responder = ConnectionResponder(self._store_events)
        try:
            while not self.isStopped():
                data = connection.recv(READ_SIZE)
                if not data:
                    if frames.mid_frame:
                        self.reportError(
                            f"Flume client {peer} closed the connection in the middle of a "
                            f"frame ({frames.mid_frame} bytes); its events were not "
                            "acknowledged and will be sent again"
                        )
                    return
                for frame in frames.feed(inflater.inflate(data) if inflater else data):
                    reply = encode_frame(frame.serial, responder.respond(frame.payload))
                    connection.sendall(deflater.deflate(reply) if deflater else reply)
        except FrameError as error:
            self.reportError(f"closed the connection of Flume client {peer}: {error}")
        except OSError as error:
            if not self.isStopped():
                self.reportError(f"lost the connection of Flume client {peer}", error)
        except Exception as error:  # noqa: BLE001 - undecodable calls: one client's problem
            self.reportError(
                f"closed the connection of Flume client {peer}: its call is not valid "
                f"Avro RPC for AvroSourceProtocol ({type(error).__name__}: {error})"
            )
        finally:
            with self._lock:
                self._connections.discard(connection)
            _close(connection)

    def _store_events(self, events: list[tuple[dict[str, str], bytes]]) -> bool:
        """Store one call's events as a block; False (the call answers FAILED) when stopped."""
        if self.isStopped():
            return False
        try:
            self.storeBlock(events)
        except ReceiverStoppedError:
            return False  # stopped while storing: nothing stored, the agent sends them again
        except Exception as error:  # noqa: BLE001 - the agent retries a FAILED call
            self.reportError(f"could not store {len(events)} Flume events; answered FAILED", error)
            return False
        return True


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # not connected, or already closed by the peer
    sock.close()
