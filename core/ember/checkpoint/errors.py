"""What can go wrong with a checkpoint, each with a message that says where and what to do.

``CheckpointCorruptError`` (bad checksum, truncated file) and its ``CheckpointInvalidError``
(a field of the wrong shape, a batch time other than the file's name, another run's
checkpoint, a source position its source refuses) are the only errors a reader recovers from
on its own, by falling back to an older checkpoint; the others stop recovery, because
going on would silently lose progress (a newer format), run untrusted code (a bad signature)
or restore data into the wrong streams (a changed graph).
"""

from __future__ import annotations


class CheckpointError(Exception):
    """Base of every checkpoint problem."""


class CheckpointCorruptError(CheckpointError):
    """A file is damaged: truncated, wrong magic, or its checksum does not match."""


class CheckpointInvalidError(CheckpointCorruptError):
    """A file reads back whole but cannot be taken as it is: a field missing or of the wrong
    type, a batch time other than its name's, another run's checkpoint, a refused position."""


class CheckpointVersionError(CheckpointError):
    """A file was written by a newer ember, in a format this one cannot read."""


class CheckpointSignatureError(CheckpointError):
    """A file holds pickled values whose signature does not verify, or that may not be loaded."""


class CheckpointValueError(CheckpointError, TypeError):
    """A value cannot be written as plain data and pickles were not allowed."""


class GraphMismatchError(CheckpointError):
    """The DStream graph the setup function built is not the one the checkpoint was taken of."""


class NoCheckpointError(CheckpointError, FileNotFoundError):
    """The location holds no readable checkpoint at all."""
