"""The plugin author API: everything a connector, sink, filesystem, executor or checkpoint-store
plugin imports from ember, and nothing of the engine.

Importing this package loads no engine module (``ember.rdd``, ``ember.streaming``, ...) and no
plugin; the plugin host (``ember.pluginhost``) loads plugins on the first question asked of
them.  See docs/plugins.md for the guide and docs/architecture.md for where this sits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ember._lazy import lazy_exports

if TYPE_CHECKING:
    from ember.plugins.checkpoint_store import CheckpointStore
    from ember.plugins.connect import create_source_stream, open_filesystem, output_to_sink, send_to_receiver
    from ember.plugins.errors import MissingPluginError, PluginError
    from ember.plugins.filesystems import FileStatus, FileSystemAccess
    from ember.plugins.hookspecs import CliCommand, FileSystem, SinkKind, SourceKind, hookimpl
    from ember.plugins.processes import process_alive
    from ember.plugins.receiver import Receiver, ReceiverStoppedError, Supervisor
    from ember.plugins.replayable import PositionRange, ReplayableSource, SourceContext
    from ember.plugins.settings import duration_ms
    from ember.plugins.sink import Sink, batch_time_ms
    from ember.plugins.testing import BatchCollector, wait_until
    from ember.storagelevel import StorageLevel

__all__ = [
    "BatchCollector",
    "CheckpointStore",
    "CliCommand",
    "FileStatus",
    "FileSystem",
    "FileSystemAccess",
    "MissingPluginError",
    "PluginError",
    "PositionRange",
    "Receiver",
    "ReceiverStoppedError",
    "ReplayableSource",
    "Sink",
    "SinkKind",
    "SourceContext",
    "SourceKind",
    "StorageLevel",
    "Supervisor",
    "batch_time_ms",
    "create_source_stream",
    "duration_ms",
    "hookimpl",
    "open_filesystem",
    "output_to_sink",
    "process_alive",
    "send_to_receiver",
    "wait_until",
]

#: the module each public name lives in, loaded on the name's first use
_HOMES = {
    "BatchCollector": "ember.plugins.testing",
    "CheckpointStore": "ember.plugins.checkpoint_store",
    "CliCommand": "ember.plugins.hookspecs",
    "FileStatus": "ember.plugins.filesystems",
    "FileSystem": "ember.plugins.hookspecs",
    "FileSystemAccess": "ember.plugins.filesystems",
    "MissingPluginError": "ember.plugins.errors",
    "PluginError": "ember.plugins.errors",
    "PositionRange": "ember.plugins.replayable",
    "Receiver": "ember.plugins.receiver",
    "ReceiverStoppedError": "ember.plugins.receiver",
    "ReplayableSource": "ember.plugins.replayable",
    "Sink": "ember.plugins.sink",
    "SinkKind": "ember.plugins.hookspecs",
    "SourceContext": "ember.plugins.replayable",
    "SourceKind": "ember.plugins.hookspecs",
    "StorageLevel": "ember.storagelevel",
    "Supervisor": "ember.plugins.receiver",
    "batch_time_ms": "ember.plugins.sink",
    "create_source_stream": "ember.plugins.connect",
    "duration_ms": "ember.plugins.settings",
    "hookimpl": "ember.plugins.hookspecs",
    "open_filesystem": "ember.plugins.connect",
    "output_to_sink": "ember.plugins.connect",
    "process_alive": "ember.plugins.processes",
    "send_to_receiver": "ember.plugins.connect",
    "wait_until": "ember.plugins.testing",
}
__getattr__, __dir__ = lazy_exports(__name__, _HOMES)
