"""The plugin author API: everything a connector, sink or executor plugin imports from ember.

Importing this package loads no plugin; plugins load on the first question asked of them
(``ember.plugins.manager``).  See docs/plugins.md for the guide.
"""
from ember.plugins.blocks import ReceiverStoppedError
from ember.plugins.errors import MissingPluginError, PluginError
from ember.plugins.hookspecs import CliCommand, FileSystem, SinkKind, SourceKind, hookimpl
from ember.plugins.receiver import Receiver
from ember.plugins.registry import create_source_stream, open_filesystem, output_to_sink
from ember.plugins.replayable import PositionRange, ReplayableSource, SourceContext, SourceRDD
from ember.plugins.settings import duration_ms
from ember.plugins.sink import Sink

__all__ = ["CliCommand", "FileSystem", "MissingPluginError", "PluginError", "PositionRange",
           "Receiver", "ReceiverStoppedError", "ReplayableSource", "Sink", "SinkKind", "SourceContext",
           "SourceKind", "SourceRDD", "create_source_stream", "duration_ms", "hookimpl",
           "open_filesystem", "output_to_sink"]
