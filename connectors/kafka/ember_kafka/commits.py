"""Committing a stream's offsets to its consumer group only after their batch completed.

A listener watches batch completions; a batch whose output operations all succeeded has its
offsets committed.  After a failed batch nothing more is committed, because a later batch's
offsets would also cover the failed batch's records: a restart then re-reads from the last
batch that completed before the failure (at-least-once, no loss).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from ember.streaming.listener import StreamingListener

_log = logging.getLogger("ember.kafka")


class CommitAfterBatch(StreamingListener):
    """Calls ``commit(batch_time_ms)`` for each batch that completed without a failure."""

    def __init__(self, commit: Callable[[int], None], stream: str):
        self._commit = commit
        self._stream = stream
        self._stopped_by: int | None = None

    def onBatchCompleted(self, batchCompleted) -> None:
        info = batchCompleted.batchInfo()
        if self._stopped_by is not None:
            return
        batch_ms = info.batchTime().milliseconds()
        failures = [o.failureReason() for o in info.outputOperationInfos().values() if o.failureReason()]
        if failures:
            self._stopped_by = batch_ms
            _log.error(
                "%s: batch %d failed, so its offsets and every later batch's stay "
                "uncommitted; a restart re-reads from the last completed batch",
                self._stream,
                batch_ms,
            )
            return
        self._commit(batch_ms)
