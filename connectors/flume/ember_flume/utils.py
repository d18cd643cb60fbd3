"""``FlumeUtils``: PySpark's Flume entry points, with its argument names and order."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

from ember import StorageLevel
from ember.plugins import create_source_stream
from ember_flume.framing import DEFAULT_MAX_FRAME_BYTES

if TYPE_CHECKING:
    from ember.streaming import DStream, StreamingContext

#: the source kind this connector registers (see ``ember_flume.plugin``)
SOURCE_KIND = "flume"


def utf8_decoder(s: bytes | None) -> str | None:
    """PySpark's default body decoder: UTF-8 text (``None`` stays ``None``)."""
    return None if s is None else s.decode("utf-8")


class PollingStreamUnsupported(NotImplementedError):
    """``createPollingStream`` pulls from Spark's own Flume sink, which runs inside Flume."""


class FlumeUtils:
    """Create Flume input streams (``from ember.streaming.flume import FlumeUtils``)."""

    @staticmethod
    def createStream(
        ssc: StreamingContext,
        hostname: str,
        port: int,
        storageLevel: StorageLevel = StorageLevel.MEMORY_AND_DISK_2,
        enableDecompression: bool = False,
        bodyDecoder: Callable[[bytes], Any] = utf8_decoder,
        maxFrameBytes: int = DEFAULT_MAX_FRAME_BYTES,
    ) -> DStream[tuple[dict[str, str], Any]]:
        """A stream of ``(headers, body)`` from Flume agents whose Avro sink points at
        ``hostname:port``, where ember listens.  ``enableDecompression`` matches the sink's
        ``compression-type = deflate``; ``bodyDecoder`` turns each body's bytes into the value.
        ``maxFrameBytes`` (ember's) bounds one call, so a broken client cannot exhaust memory."""
        if not isinstance(hostname, str) or not hostname:
            raise ValueError(
                "FlumeUtils.createStream: hostname must be the address to listen on, " f"got {hostname!r}"
            )
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            raise ValueError(f"FlumeUtils.createStream: port must be an integer in 1..65535, got {port!r}")
        events = create_source_stream(
            ssc,
            SOURCE_KIND,
            hostname=hostname,
            port=port,
            enableDecompression=bool(enableDecompression),
            storageLevel=storageLevel,
            max_frame_bytes=maxFrameBytes,
        )
        pairs: DStream[tuple[dict[str, str], Any]] = events.map(
            lambda event: (dict(event[0]), bodyDecoder(event[1]))
        )
        return pairs

    @staticmethod
    def createPollingStream(
        ssc: StreamingContext,
        addresses: list[tuple[str, int]],
        storageLevel: StorageLevel = StorageLevel.MEMORY_AND_DISK_2,
        maxBatchSize: int = 1000,
        parallelism: int = 5,
        bodyDecoder: Callable[[bytes], Any] = utf8_decoder,
    ) -> NoReturn:
        """Not available: see ``PollingStreamUnsupported``."""
        raise PollingStreamUnsupported(
            "FlumeUtils.createPollingStream pulls events from Spark's custom Flume sink "
            "(org.apache.spark.streaming.flume.sink.SparkSink), a Java component that runs inside "
            "the Flume agent and speaks Spark's own protocol; ember cannot provide it. Use the push "
            "model instead: point the agent's Avro sink at ember and call "
            "FlumeUtils.createStream(ssc, hostname, port) (see docs/connectors.md)."
        )
