"""ember-s3: checkpoints in S3 (``ssc.checkpoint("s3://bucket/prefix")``)."""

from ember_s3.store import S3CheckpointStore

__all__ = ["S3CheckpointStore"]
