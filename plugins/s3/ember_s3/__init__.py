"""ember-s3: checkpoints in S3 (``ssc.checkpoint("s3://bucket/prefix")``)."""

from __future__ import annotations

from typing import Any

__all__ = ["S3CheckpointStore"]


def __getattr__(name: str) -> Any:
    """``S3CheckpointStore`` imports boto3: only when asked for, so that the plugin costs
    nothing to a job that checkpoints elsewhere (ember loads every plugin)."""
    if name == "S3CheckpointStore":
        from ember_s3.store import S3CheckpointStore

        return S3CheckpointStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
