"""``s3://bucket/prefix/`` directories, read with boto3 (install ``ember-files[s3]``).

boto3 finds credentials, region and endpoint the usual way (environment, ``~/.aws``);
``AWS_ENDPOINT_URL_S3`` points it at another S3 implementation.  "Directories" are key
prefixes ending in ``/``; glob characters may appear in the prefix.
"""

from __future__ import annotations

import fnmatch
import functools
import glob
from urllib.parse import urlsplit

from ember.plugins import FileStatus
from ember_files.filesystem import is_hidden, nested_directory_error, no_input_error


@functools.lru_cache(maxsize=1)
def _shared_client():
    """One boto3 client per process (clients are thread-safe, slow to make, and do not pickle)."""
    import boto3

    return boto3.client("s3")


class S3FileSystem:
    """The objects directly under the ``s3://`` prefixes a pattern matches."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        if not parts.netloc:
            raise ValueError(f"{url!r}: an s3:// URL needs a bucket, as in s3://bucket/prefix/")
        self.url = url
        self.bucket = parts.netloc
        self.directory = parts.path.strip("/")

    @property
    def client(self):
        try:
            return _shared_client()
        except ImportError as error:
            raise ImportError(f"reading {self.url!r} needs boto3: pip install 'ember-files[s3]'") from error

    def list_files(self) -> list[FileStatus]:
        has_glob = glob.has_magic(self.directory)
        static = self.directory.split("*")[0].split("?")[0].split("[")[0] if has_glob else self.directory
        prefix = (static + "/") if static and not has_glob else static
        found = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                key = item["Key"]
                directory, _, name = key.rpartition("/")
                if not name or not self._matches(directory):
                    continue
                modified_ms = int(item["LastModified"].timestamp() * 1000)
                found.append(FileStatus(f"s3://{self.bucket}/{key}", item["Size"], modified_ms))
        return found

    def _matches(self, directory: str) -> bool:
        """Glob semantics per path segment: ``*`` never crosses a ``/``."""
        if not glob.has_magic(self.directory):
            return directory == self.directory
        return _segments_match(directory.split("/"), self.directory.split("/"))

    def list_inputs(self, skip_directories: bool = False) -> list[FileStatus]:
        """Objects named by the pattern, or directly under the prefixes ("directories") it names."""
        pattern = self.directory
        has_glob = glob.has_magic(pattern)
        static = pattern.split("*")[0].split("?")[0].split("[")[0] if has_glob else pattern
        wanted = pattern.split("/")
        files, directories = [], []
        for key, size, modified_ms in self._objects(static):
            segments = key.split("/")
            if _segments_match(segments, wanted):
                files.append(FileStatus(f"s3://{self.bucket}/{key}", size, modified_ms))
            elif len(segments) > len(wanted) and _segments_match(segments[: len(wanted)], wanted):
                directories.append((segments[len(wanted) :], key, size, modified_ms))
        for rest, key, size, modified_ms in directories:
            if is_hidden(rest[0]):
                continue
            if len(rest) > 1:
                if skip_directories:
                    continue
                raise nested_directory_error(f"s3://{self.bucket}/{key.rsplit('/', len(rest) - 1)[0]}")
            files.append(FileStatus(f"s3://{self.bucket}/{key}", size, modified_ms))
        if not files:
            raise no_input_error(self.url, has_glob)
        return files

    def _objects(self, prefix: str):
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                if not item["Key"].endswith("/"):  # "directory" marker objects hold nothing
                    yield item["Key"], item["Size"], int(item["LastModified"].timestamp() * 1000)

    def read_range(self, path: str, start: int, length: int) -> bytes:
        if length <= 0:
            return b""
        key = urlsplit(path).path.lstrip("/")
        byte_range = f"bytes={start}-{start + length - 1}"
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key, Range=byte_range)
        except self.client.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") == "InvalidRange":
                return b""  # at or past the end of the object
            raise
        return response["Body"].read()

    def read_bytes(self, path: str, length: int) -> bytes:
        if length <= 0:
            return b""
        key = urlsplit(path).path.lstrip("/")
        response = self.client.get_object(Bucket=self.bucket, Key=key, Range=f"bytes=0-{length - 1}")
        return response["Body"].read()


def _segments_match(actual: list[str], wanted: list[str]) -> bool:
    """Glob semantics per path segment: ``*`` never crosses a ``/``."""
    return len(actual) == len(wanted) and all(map(fnmatch.fnmatchcase, actual, wanted))
