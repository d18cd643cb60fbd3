"""What receivers' tests share: a TCP server of text lines (real sockets on 127.0.0.1), a
listener of where receivers start, and the lines a write-ahead log holds for no batch yet."""

from __future__ import annotations

import os
import socket
import threading

from ember.checkpoint import ValueCodec
from ember.checkpoint.wal import WriteAheadLog
from ember.streaming import StreamingListener


class LineServer:
    """Serves lines over TCP to whichever client connected last."""

    def __init__(self):
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._server.accept()
            except OSError:
                return
            self.connections.append(connection)

    def send(self, lines: list[str]) -> None:
        self.connections[-1].sendall("".join(f"{line}\n" for line in lines).encode())

    def close(self) -> None:
        self._server.close()
        for connection in self.connections:
            connection.close()


class ReceiverStarts(StreamingListener):
    """Where each receiver started (``executorId``), and the errors it reported."""

    def __init__(self):
        self.executors: list[str] = []
        self.errors: list[str] = []

    def onReceiverStarted(self, receiverStarted):
        self.executors.append(receiverStarted.receiverInfo().executorId())

    def onReceiverError(self, receiverError):
        self.errors.append(receiverError.receiverInfo().lastErrorMessage())


def stored_but_unbatched(log_directory: str) -> list:
    """The records in the write-ahead log's open segments: stored, in no batch yet."""
    if not os.path.isdir(log_directory):
        return []
    records, _ = WriteAheadLog(log_directory, ValueCodec()).unsealed()
    return records
