"""The interface of a checkpoint store (``ember_checkpoint_store`` hook): where checkpoint files
live for one URI scheme.  ember has the local one built in; ember-s3 adds ``s3://``."""

from __future__ import annotations

from abc import ABC, abstractmethod


class CheckpointStore(ABC):
    """A flat namespace of files under one location (``uri``)."""

    uri: str

    @abstractmethod
    def write(self, name: str, data: bytes) -> None:
        """Store ``data`` as ``name`` atomically, replacing any file of that name."""

    @abstractmethod
    def read(self, name: str) -> bytes:
        """The contents of ``name``; ``FileNotFoundError`` when there is none."""

    @abstractmethod
    def list(self, prefix: str = "") -> list[str]:
        """The names of the stored files that start with ``prefix``, in any order."""

    @abstractmethod
    def delete(self, name: str) -> None:
        """Remove ``name`` (nothing happens when it is already gone)."""

    def where(self, name: str) -> str:
        """``name``'s location for messages."""
        return f"{self.uri.rstrip('/')}/{name}"
