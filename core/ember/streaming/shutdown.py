"""SIGTERM and Ctrl-C while a stream runs: the first signal stops it gracefully (the batches
received so far are processed), a second one stops it at once.

Python lets only the main thread install signal handlers, so a context started from another
thread leaves the process's handlers alone.  The stop runs on its own thread because a signal
handler must return quickly (the main thread is usually inside ``awaitTermination``).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ember.streaming.context import StreamingContext

_log = logging.getLogger("ember.streaming")
_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class SignalHandlers:
    def __init__(self, ssc: StreamingContext):
        self._ssc = ssc
        self._previous: dict[int, Any] = {}
        self._signals_seen = 0
        self._retired = False

    @classmethod
    def install(cls, ssc: StreamingContext) -> SignalHandlers | None:
        """Install the handlers when called from the main thread; None otherwise."""
        if threading.current_thread() is not threading.main_thread():
            return None
        handlers = cls(ssc)
        for signum in _SIGNALS:
            handlers._previous[signum] = signal.signal(signum, handlers._on_signal)
        return handlers

    def restore(self) -> None:
        """Put back the handlers that were there before.  Off the main thread that is not
        possible, so the handlers retire: the next signal restores them and is passed on."""
        if threading.current_thread() is not threading.main_thread():
            self._retired = True
            return
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)

    def _on_signal(self, signum, frame) -> None:
        if self._retired:
            self.restore()
            _pass_on(signum, frame, self._previous.get(signum))
            return
        self._signals_seen += 1
        graceful = self._signals_seen == 1
        _log.warning(
            "Received %s: stopping the stream %s",
            signal.Signals(signum).name,
            "gracefully (send it again to stop at once)" if graceful else "at once",
        )
        threading.Thread(
            target=self._ssc._stop_on_signal, args=(graceful,), name="ember-signal-stop", daemon=True
        ).start()


def _pass_on(signum, frame, previous) -> None:
    """Deliver a signal the way the handler we replaced would have."""
    if callable(previous):
        previous(signum, frame)
    elif previous == signal.SIG_DFL:
        os.kill(os.getpid(), signum)
