"""What the streaming engine needs from checkpointing, as an interface it owns.

``ember.streaming`` sits below ``ember.checkpoint`` and never imports it: ``ember.checkpoint``
implements ``CheckpointingSupport`` and registers it here when it is imported, which the
composition root (``import ember``'s names, ``ember.testing``, the command line) makes sure of.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ember.conf import SparkConf
    from ember.streaming.context import StreamingContext


class Resume(Protocol):
    """Where a recovered job goes on (``ember.checkpoint.recovery.Resume``)."""

    zero_ms: int

    def start(self, now_ms: int) -> int:
        """Bring restored state up to date; return the first batch time to generate."""


class CheckpointingSession(Protocol):
    """Checkpointing of one running StreamingContext, from ``start()`` to ``stop()``."""

    @property
    def resume(self) -> Resume | None:
        """Set when the context was recovered from a checkpoint: where the scheduler goes on."""

    def after_batch(self, time_ms: int) -> None:
        """Checkpoint the job after the batch at ``time_ms`` completed (scheduler's thread)."""

    def final_checkpoint(self) -> None:
        """At stop, after the last batch: checkpoint every stateful stream's state of the last
        checkpointed batch, so a restart loses nothing, whatever the checkpoint interval."""

    def close(self) -> None:
        """Release what the session holds (write-ahead logs)."""


class CheckpointingSupport(Protocol):
    def validate_directory(self, directory: str, conf: SparkConf) -> None:
        """Fail (naming the installed stores) when no store serves ``directory``'s scheme."""

    def get_or_create(self, checkpoint_path: str, setup: Callable[[], StreamingContext]) -> StreamingContext:
        """``StreamingContext.getOrCreate``: the context ``setup`` builds, with the checkpoint at
        ``checkpoint_path`` (if any) to be restored into it at ``start()``."""

    def open_session(self, ssc: StreamingContext) -> CheckpointingSession | None:
        """The session for a starting context; None when it has no checkpoint directory."""


_support: CheckpointingSupport | None = None


def register_checkpointing(support: CheckpointingSupport) -> None:
    """Called by ``ember.checkpoint`` when it is imported."""
    global _support
    _support = support


def checkpointing() -> CheckpointingSupport:
    """The registered checkpointing support."""
    if _support is None:
        raise RuntimeError(
            "ember's checkpointing is not loaded: use `from ember import SparkContext` "
            "(or import ember.checkpoint) before checkpointing a StreamingContext"
        )
    return _support
