"""The plugin author API: everything a connector, sink, filesystem, executor or checkpoint-store
plugin imports from ember, and nothing of the engine.

Importing this package loads no engine module (``ember.rdd``, ``ember.streaming``, ...) and no
plugin; the plugin host (``ember.pluginhost``) loads plugins on the first question asked of
them.  See docs/plugins.md for the guide and docs/architecture.md for where this sits.
"""

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
