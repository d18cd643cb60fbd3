"""The entry point of ember-s3: provides the checkpoint store of ``s3://`` URIs."""

from __future__ import annotations

from urllib.parse import urlsplit

from ember.plugins import hookimpl
from ember_s3.store import S3CheckpointStore


@hookimpl
def ember_checkpoint_store(uri: str, conf):
    if "://" not in uri or urlsplit(uri).scheme.lower() not in S3CheckpointStore.SCHEMES:
        return None
    return S3CheckpointStore(uri, conf)
