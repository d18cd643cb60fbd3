"""The entry point of ember-sink-files: provides the ``text-files`` sink kind."""

from __future__ import annotations

from ember.plugins import SinkKind, hookimpl
from ember_sink_files.text import TextFilesSink


@hookimpl
def ember_sink_kinds() -> list[SinkKind]:
    return [
        SinkKind(
            "text-files",
            TextFilesSink,
            "saveAsTextFiles: prefix-<ms>[.suffix]/part-NNNNN + _SUCCESS, one atomic commit per batch",
        )
    ]
