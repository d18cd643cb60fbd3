"""The entry point of ember-s3: provides the checkpoint store of ``s3://`` URIs."""

from __future__ import annotations

from urllib.parse import urlsplit

from ember.plugins import hookimpl

#: the URI schemes this store serves (checked before boto3 is imported)
SCHEMES = ("s3", "s3a")


@hookimpl
def ember_checkpoint_store(uri: str, conf):
    if "://" not in uri or urlsplit(uri).scheme.lower() not in SCHEMES:
        return None
    from ember_s3.store import S3CheckpointStore

    return S3CheckpointStore(uri, conf)
