"""Checkpoint stores: where checkpoint files live, chosen by the URI's scheme.

A store keeps named files in one location and writes each atomically: a reader sees the
whole new file or nothing.  The local filesystem store is built in (plain paths and
``file://`` URIs); other schemes come from plugins through the ``ember_checkpoint_store``
hook (``s3://`` from ember-s3).
"""

from __future__ import annotations

import os
import uuid
from urllib.parse import unquote, urlsplit

from ember.pluginhost import plugin_checkpoint_store, plugin_manager
from ember.plugins import CheckpointStore, MissingPluginError

#: the distribution that provides each scheme ember knows of, for the missing-store error
KNOWN_STORE_DISTRIBUTIONS = {"s3": "ember-s3"}


class LocalCheckpointStore(CheckpointStore):
    """A directory: files are written to a hidden temporary name, fsynced, then renamed."""

    TEMPORARY_PREFIX = ".tmp-"

    def __init__(self, directory: str):
        self.uri = directory
        self.directory = directory

    def write(self, name: str, data: bytes) -> None:
        final = os.path.join(self.directory, name)
        os.makedirs(os.path.dirname(final), exist_ok=True)
        temporary = os.path.join(
            os.path.dirname(final), f"{self.TEMPORARY_PREFIX}{uuid.uuid4().hex}-{os.path.basename(name)}"
        )
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, final)
        fsync_directory(os.path.dirname(final))

    def read(self, name: str) -> bytes:
        with open(os.path.join(self.directory, name), "rb") as handle:
            return handle.read()

    def list(self, prefix: str = "") -> list[str]:
        names = []
        for root, _, files in os.walk(self.directory):
            relative = os.path.relpath(root, self.directory)
            for file in files:
                name = file if relative == "." else f"{relative.replace(os.sep, '/')}/{file}"
                if name.startswith(prefix) and not file.startswith(self.TEMPORARY_PREFIX):
                    names.append(name)
        return names

    def delete(self, name: str) -> None:
        try:
            os.remove(os.path.join(self.directory, name))
        except FileNotFoundError:
            pass

    def remove_temporaries(self) -> None:
        """Delete what writes interrupted by a crash left behind."""
        for root, _, files in os.walk(self.directory):
            for file in files:
                if file.startswith(self.TEMPORARY_PREFIX):
                    os.remove(os.path.join(root, file))


def fsync_directory(directory: str) -> None:
    """Make a rename durable: fsync the directory that holds the new name."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _scheme(uri: str) -> str:
    return urlsplit(uri).scheme.lower() if "://" in uri else "file"


def open_store(uri: str, conf=None) -> CheckpointStore:
    """The store for ``uri``: local for paths and ``file://``, else the plugin of its scheme."""
    uri = os.fspath(uri)
    scheme = _scheme(uri)
    if scheme == "file":
        parts = urlsplit(uri)
        return LocalCheckpointStore(unquote(parts.path) if "://" in uri else uri)
    store = plugin_checkpoint_store(uri, conf)
    if store is not None:
        return store
    providers = [
        f"{record.distribution} (plugin)"
        for record in plugin_manager().implementers("ember_checkpoint_store")
    ]
    raise MissingPluginError(
        f"a checkpoint store for '{scheme}://' (checkpoint location {uri!r}; stores installed: "
        f"file:// (built in){''.join(', ' + p for p in providers)}; add a scheme with a plugin "
        "implementing the ember_checkpoint_store hook, see docs/plugins.md)",
        KNOWN_STORE_DISTRIBUTIONS.get(scheme),
        None,
        "StreamingContext.checkpoint",
    )
