"""The entry point of ember-socket: provides the ``socket`` source kind."""

from __future__ import annotations

from ember import StorageLevel
from ember.plugins import SourceKind, duration_ms, hookimpl
from ember_socket.lines import Backoff
from ember_socket.receiver import SocketTextReceiver

#: Spark's setting for the pause before a receiver restarts; here it caps the backoff
RESTART_DELAY_SETTING = "spark.streaming.receiverRestartDelay"


def create_socket_source(
    ssc, hostname: str, port: int, storageLevel: StorageLevel = StorageLevel.MEMORY_AND_DISK_2
) -> SocketTextReceiver:
    """``ssc.socketTextStream(hostname, port, storageLevel)``: a receiver of UTF-8 lines."""
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ValueError(f"socketTextStream: port must be an integer in 1..65535, got {port!r}")
    if not hostname or not isinstance(hostname, str):
        raise ValueError(f"socketTextStream: hostname must be a non-empty string, got {hostname!r}")
    max_delay_ms = duration_ms(
        ssc.sparkContext.getConf().get(RESTART_DELAY_SETTING, "2000"), RESTART_DELAY_SETTING
    )
    return SocketTextReceiver(hostname, port, storageLevel, Backoff(max_ms=max_delay_ms))


@hookimpl
def ember_source_kinds() -> list[SourceKind]:
    return [
        SourceKind(
            "socket",
            create_socket_source,
            "socketTextStream: UTF-8 lines from a TCP server, reconnecting with backoff",
        )
    ]
