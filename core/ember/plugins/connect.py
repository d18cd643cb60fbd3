"""What a connector's public API calls to reach the engine: create an input stream of a source
kind, send a stream to a sink kind, talk to a running receiver, open a filesystem by URL.

These are thin on purpose, so that importing the author API loads no engine module: the first
three dispatch through the StreamingContext or DStream they are given, the third through the
plugin host (``ember.pluginhost`` installs itself here when it is imported, which
``import ember`` does).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

_open_filesystem: Callable[[str, str | None], Any] | None = None


class _StreamingContext(Protocol):
    """What ``create_source_stream`` needs of ``ssc`` (a StreamingContext: the author API
    names no engine type, not even for annotations)."""

    def create_source_stream(self, kind: str, **options: Any) -> Any: ...


class _DStream(Protocol):
    """What ``output_to_sink`` needs of ``dstream`` (a DStream)."""

    def output_to_sink(self, kind: str, **options: Any) -> None: ...


class _ReceiverStream(Protocol):
    """What ``send_to_receiver`` needs of ``stream`` (an input DStream of a Receiver)."""

    def send_to_receiver(self, message: Any) -> None: ...


def create_source_stream(ssc: _StreamingContext, kind: str, **options: Any) -> Any:
    """The input DStream of source ``kind`` built with ``options`` (``KafkaUtils.createStream``...);
    ``MissingPluginError`` names the distribution to install when no plugin provides ``kind``."""
    return ssc.create_source_stream(kind, **options)


def output_to_sink(dstream: _DStream, kind: str, **options: Any) -> None:
    """Register an output operation writing every batch of ``dstream`` to sink ``kind``."""
    dstream.output_to_sink(kind, **options)


def send_to_receiver(stream: _ReceiverStream, message: Any) -> None:
    """Deliver ``message`` (picklable) to the ``onDriverMessage`` of the receiver of ``stream``
    (an input stream ``create_source_stream`` made of a Receiver), wherever it runs; dropped
    while the receiver moves to another worker."""
    stream.send_to_receiver(message)


def open_filesystem(url: str, asked_by: str | None = None) -> Any:
    """The filesystem that serves ``url`` (a plain path is ``file``), opened on that URL: an
    object with the ``FileSystemAccess`` methods."""
    if _open_filesystem is None:
        raise RuntimeError("ember's plugin host is not loaded; import ember first")
    return _open_filesystem(url, asked_by)


def install_filesystem_opener(opener: Callable[[str, str | None], Any]) -> None:
    """Called by ``ember.pluginhost`` on import: how ``open_filesystem`` finds a scheme's plugin."""
    global _open_filesystem
    _open_filesystem = opener
