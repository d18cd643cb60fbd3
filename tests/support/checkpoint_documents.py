"""Checkpoint documents for tests that write checkpoint files without running a job."""

from __future__ import annotations

from ember.checkpoint import FORMAT_VERSION

#: one stream, stateful, fed by nothing: enough for the directory's own tests
ONE_STATEFUL_STREAM = [{"kind": "updateStateByKey", "slide_ms": 1000, "window_ms": None, "parents": []}]


def document(time_ms: int, streams: dict | None = None, graph: list | None = None, **fields) -> dict:
    """A complete checkpoint document of the batch at ``time_ms`` (run and sequence are added
    by ``CheckpointDirectory.write_checkpoint``)."""
    return {
        "format": FORMAT_VERSION,
        "ember_version": "test",
        "time": time_ms,
        "written_ms": time_ms,
        "batch_ms": 1000,
        "zero_ms": 0,
        "last_completed_ms": time_ms,
        "pending": [],
        "graph": ONE_STATEFUL_STREAM if graph is None else graph,
        "streams": streams or {},
        **fields,
    }
