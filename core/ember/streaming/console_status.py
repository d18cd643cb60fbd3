"""The one-line live status of ``python -m ember run`` on a terminal.

After each batch the line is redrawn in place (carriage return, erase to the end of line):
the batch time, its input rate, processing time and scheduling delay, and the bytes of state
the job holds.  It is erased when a batch starts, so what the batch prints (``pprint``) starts
on a clean line.  Only ``python -m ember run`` asks for it (``request``), only when its output
is a terminal, and ``spark.ui.showConsoleProgress=false`` turns it off, as in Spark.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from ember.streaming.listener import StreamingListener
from ember.streaming.status import state_bytes

if TYPE_CHECKING:
    from ember.streaming.context import StreamingContext

SETTING = "spark.ui.showConsoleProgress"
ERASE_LINE = "\r\x1b[K"

_requested: list[TextIO] = []


def request(stream: TextIO) -> None:
    """``python -m ember run`` wants the line on ``stream`` (drawn only if it is a terminal)."""
    _requested[:] = [stream]


def attach(ssc: StreamingContext) -> Callable[[], None] | None:
    """Add the status line's listener to ``ssc`` when it was requested and may be shown;
    returns what ends the line when the context stops."""
    if not _requested:
        return None
    stream = _requested[0]
    enabled = ssc.sparkContext.getConf().get(SETTING, "true").strip().lower() != "false"
    if not (enabled and _is_terminal(stream)):
        return None
    line = ConsoleStatusLine(ssc, stream)
    ssc.addStreamingListener(line)
    return line.finish


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class ConsoleStatusLine(StreamingListener):
    def __init__(self, ssc: StreamingContext, stream: TextIO = sys.stdout):
        self._ssc = ssc
        self._stream = stream
        self._batch_seconds = ssc.batch_ms / 1000
        self._lock = threading.Lock()
        self._drawn = False

    def onBatchStarted(self, batchStarted):
        self._write(ERASE_LINE if self._drawn else "", drawn=False)

    def onBatchCompleted(self, batchCompleted):
        self._write(ERASE_LINE + self.render(batchCompleted.batchInfo()), drawn=True)

    def render(self, info) -> str:
        clock = time.strftime("%H:%M:%S", time.localtime(info.batchTime().milliseconds() / 1000))
        return (
            f"[Batch {clock}] input {info.numRecords() / self._batch_seconds:,.0f} records/s"
            f" | processing {info.processingDelay() / 1000:.3f} s"
            f" | scheduling delay {info.schedulingDelay() / 1000:.3f} s"
            f" | state {_human_bytes(state_bytes(self._ssc))}"
        )

    def finish(self) -> None:
        """Leave the last line on screen and move below it."""
        self._write("\n" if self._drawn else "", drawn=False)

    def _write(self, text: str, drawn: bool) -> None:
        with self._lock:
            if text:
                self._stream.write(text)
                self._stream.flush()
            self._drawn = drawn


def _human_bytes(count: int) -> str:
    if count < 1024:
        return f"{count} B"
    exponent = min(3, (count.bit_length() - 1) // 10)
    return f"{count / (1 << 10 * exponent):.1f} {('KiB', 'MiB', 'GiB')[exponent - 1]}"
