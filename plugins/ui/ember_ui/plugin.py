"""The ember entry point: a UI for every StreamingContext that starts with
``spark.ui.enabled`` (true unless set otherwise), stopped with it."""

from __future__ import annotations

from ember.plugins import hookimpl
from ember_ui.server import UIServer, ui_enabled


@hookimpl
def ember_streaming_started(ssc):
    if not ui_enabled(ssc.sparkContext.getConf()):
        return None
    server = UIServer(ssc)
    server.start()
    return server.stop
