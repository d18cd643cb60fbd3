"""Checkpoint files as S3 objects under ``s3://bucket/prefix/``.

A PUT is atomic in S3 (a reader gets the old object or the new one, never a part), so each
file is written with one ``put_object``.  boto3 finds credentials and region the usual way;
the endpoint (another S3 implementation, such as MinIO or moto) comes from Spark's
``spark.hadoop.fs.s3a.endpoint`` when the job sets it, else from boto3's own
``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import boto3
from botocore.exceptions import ClientError

from ember.plugins import CheckpointStore

ENDPOINT_SETTING = "spark.hadoop.fs.s3a.endpoint"


class S3CheckpointStore(CheckpointStore):
    def __init__(self, uri: str, conf=None):
        parts = urlsplit(uri)
        if not parts.netloc:
            raise ValueError(
                f"{uri!r}: an s3:// checkpoint location needs a bucket, as in s3://bucket/prefix"
            )
        self.uri = uri
        self.bucket = parts.netloc
        self.prefix = parts.path.strip("/") + "/" if parts.path.strip("/") else ""
        endpoint = conf.get(ENDPOINT_SETTING) if conf is not None else None
        self.client = boto3.client("s3", endpoint_url=endpoint or None)

    def _key(self, name: str) -> str:
        return self.prefix + name

    def write(self, name: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(name), Body=data)

    def read(self, name: str) -> bytes:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(name))["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise FileNotFoundError(self.where(name)) from None
            raise

    def list(self, prefix: str = "") -> list[str]:
        names: list[str] = []
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self._key(prefix)
        )
        for page in pages:
            names.extend(item["Key"][len(self.prefix) :] for item in page.get("Contents", []))
        return names

    def delete(self, name: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(name))
