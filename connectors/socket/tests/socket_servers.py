"""A real TCP server on 127.0.0.1 that plays a script to each connection it accepts."""

from __future__ import annotations

import socket
import threading


class ScriptedServer:
    """Accepts connections on 127.0.0.1; connection i gets ``scripts[i]`` (a list of byte
    strings sent in order), then is closed.  ``port=0`` picks a free port."""

    def __init__(self, scripts: list[list[bytes]], port: int = 0):
        self.scripts = list(scripts)
        self.listener = socket.create_server(("127.0.0.1", port))
        self.port = self.listener.getsockname()[1]
        self.accepted = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        for script in self.scripts:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return  # closed by the test
            self.accepted += 1
            with connection:
                for chunk in script:
                    connection.sendall(chunk)

    def close(self) -> None:
        self.listener.close()
