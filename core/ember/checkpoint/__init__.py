"""Checkpoints: the format, the stores, and recovery of a StreamingContext.

A checkpoint holds data only (state, source positions, batch times, a fingerprint of the
graph), never code: recovery runs the job's setup function again to rebuild the graph and
restores the data into it.  docs/checkpoint-format.md describes the files.  Importing this
package registers it as the streaming engine's checkpointing (``checkpoint.support``).
"""

from ember.checkpoint.directory import CheckpointDirectory, LoadedCheckpoint
from ember.checkpoint.errors import (
    CheckpointCorruptError,
    CheckpointError,
    CheckpointInvalidError,
    CheckpointSignatureError,
    CheckpointValueError,
    CheckpointVersionError,
    GraphMismatchError,
    NoCheckpointError,
)
from ember.checkpoint.framing import FORMAT_VERSION
from ember.checkpoint.store import CheckpointStore, LocalCheckpointStore, open_store
from ember.checkpoint.support import Checkpointing
from ember.checkpoint.values import PicklePolicy, ValueCodec

__all__ = [
    "FORMAT_VERSION",
    "CheckpointCorruptError",
    "CheckpointDirectory",
    "CheckpointError",
    "CheckpointInvalidError",
    "CheckpointSignatureError",
    "CheckpointStore",
    "CheckpointValueError",
    "CheckpointVersionError",
    "Checkpointing",
    "GraphMismatchError",
    "LoadedCheckpoint",
    "LocalCheckpointStore",
    "NoCheckpointError",
    "PicklePolicy",
    "ValueCodec",
    "open_store",
]
