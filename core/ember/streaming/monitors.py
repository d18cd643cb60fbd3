"""What watches a running StreamingContext: the plugins' ``ember_streaming_started`` hooks and
the console status line of ``python -m ember run``.

``start(ssc)`` runs when the context starts and returns what ``stop`` must call when it stops.
A plugin whose hook fails is reported by the plugin manager and left out; the job runs on.
Contexts started inside ``unmonitored()`` (the test kit's ``run_stream``) get no monitor, so
they do not even load the plugins, as Spark's test suites run without a UI.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from ember.pluginhost.manager import plugin_manager
from ember.streaming import console_status

if TYPE_CHECKING:
    from ember.streaming.context import StreamingContext

_log = logging.getLogger("ember.streaming")
_monitored = contextvars.ContextVar("ember_monitored", default=True)


@contextlib.contextmanager
def unmonitored() -> Iterator[None]:
    """Contexts started in this block (on this thread) get no monitors."""
    token = _monitored.set(False)
    try:
        yield
    finally:
        _monitored.reset(token)


def start(ssc: StreamingContext) -> list[Callable[[], None]]:
    """Attach the console line (when wanted) and every plugin's monitor; their stop functions."""
    if not _monitored.get():
        return []
    console_line = console_status.attach(ssc)
    stops = [console_line] if console_line is not None else []
    for record, stop_function in plugin_manager().implementations("ember_streaming_started", ssc=ssc):
        if callable(stop_function):
            stops.append(stop_function)
        else:
            plugin_manager().report_broken(
                record,
                "ember_streaming_started",
                TypeError(f"expected a function or None, got {stop_function!r}"),
            )
    return stops


def stop(stops: list[Callable[[], None]]) -> None:
    """Call each monitor's stop function; one that fails is logged and the others still run."""
    for stop_function in stops:
        try:
            stop_function()
        except Exception:  # noqa: BLE001 - a monitor never keeps the job from stopping
            _log.exception("Stopping the monitor %r failed", stop_function)
