"""ember.checkpoint's implementation of the streaming engine's ``CheckpointingSupport``
interface (``ember.streaming.checkpointing``), registered when ``ember.checkpoint`` is imported."""

from __future__ import annotations

from collections.abc import Callable

from ember.checkpoint.recovery import get_or_create
from ember.checkpoint.session import CheckpointSession
from ember.checkpoint.store import open_store
from ember.streaming.checkpointing import register_checkpointing
from ember.streaming.context import StreamingContext


class Checkpointing:
    """Stores by URI scheme, recovery (``getOrCreate``) and a session per running context."""

    def validate_directory(self, directory: str, conf) -> None:
        open_store(directory, conf)

    def get_or_create(self, checkpoint_path: str, setup: Callable[[], StreamingContext]) -> StreamingContext:
        return get_or_create(checkpoint_path, setup)

    def open_session(self, ssc: StreamingContext) -> CheckpointSession | None:
        return CheckpointSession.open(ssc)


register_checkpointing(Checkpointing())
