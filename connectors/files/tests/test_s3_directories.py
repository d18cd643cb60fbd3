"""s3:// directories through boto3, against a real moto server started for these tests."""

from __future__ import annotations

import os
import uuid

import boto3
import pytest
from services import started

from ember.plugins import open_filesystem
from ember_s3.testing import MotoServer

BUCKET = "ember-input"


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory):
    """A moto server on a free loopback port; boto3 in this process and its workers uses it."""
    server = started(MotoServer(tmp_path_factory.mktemp("moto")))
    settings = server.environment()
    saved = {key: os.environ.get(key) for key in settings}
    os.environ.update(settings)
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    try:
        yield client
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        server.kill()


def test_listing_keeps_to_the_prefix_directory_and_reads_exact_bytes(s3_endpoint):
    for key in ("logs/a.txt", "logs/_tmp", "logs/deeper/b.txt", "logsx/c.txt", "other/d.txt"):
        s3_endpoint.put_object(Bucket=BUCKET, Key=key, Body=b"1\n22\n")
    filesystem = open_filesystem(f"s3://{BUCKET}/logs/")
    listed = {status.path: status.size for status in filesystem.list_files()}
    assert listed == {f"s3://{BUCKET}/logs/a.txt": 5, f"s3://{BUCKET}/logs/_tmp": 5}
    assert filesystem.read_bytes(f"s3://{BUCKET}/logs/a.txt", 2) == b"1\n"
    globbed = open_filesystem(f"s3://{BUCKET}/logs*")
    assert sorted(s.path for s in globbed.list_files()) == sorted(
        [f"s3://{BUCKET}/logs/a.txt", f"s3://{BUCKET}/logs/_tmp", f"s3://{BUCKET}/logsx/c.txt"]
    )


def test_text_file_stream_over_an_s3_prefix(s3_endpoint, ssc, collect):
    prefix = f"stream-{uuid.uuid4().hex}"  # the server outlives each test
    lines = ssc.textFileStream(f"s3://{BUCKET}/{prefix}/")
    seen = collect(lines)
    ssc.start()
    s3_endpoint.put_object(Bucket=BUCKET, Key=f"{prefix}/part-1.txt", Body=b"alpha\nbeta\n")
    s3_endpoint.put_object(Bucket=BUCKET, Key=f"{prefix}/.hidden", Body=b"no\n")
    seen.wait_for(lambda c: sorted(c.records) == ["alpha", "beta"])
    s3_endpoint.put_object(Bucket=BUCKET, Key=f"{prefix}/part-2.txt", Body=b"gamma\n")
    seen.wait_for(lambda c: sorted(c.records) == ["alpha", "beta", "gamma"])


def test_text_file_and_whole_text_files_read_s3_objects(s3_endpoint, sc):
    prefix = f"text-{uuid.uuid4().hex}"
    for key, body in [
        ("b.txt", b"b1\nb2\nb3\n"),
        ("a.txt", b"a1\r\na2"),
        ("_SUCCESS", b""),
        ("nested/c.txt", b"c\n"),
    ]:
        s3_endpoint.put_object(Bucket=BUCKET, Key=f"{prefix}/{key}", Body=body)
    base = f"s3://{BUCKET}/{prefix}"
    lines = sc.textFile(f"{base}/b.txt", 2)
    assert lines.glom().collect() == [["b1", "b2"], ["b3"], []]  # PySpark's splits of a local copy
    assert sc.textFile(f"{base}/*.txt").collect() == ["a1", "a2", "b1", "b2", "b3"]
    assert sorted(sc.wholeTextFiles(base).collect()) == [
        (f"{base}/a.txt", "a1\r\na2"),
        (f"{base}/b.txt", "b1\nb2\nb3\n"),
    ]
    with pytest.raises(IsADirectoryError, match=f"^Path: {base}/nested is a directory"):
        sc.textFile(base)
    with pytest.raises(FileNotFoundError, match=f"^Input path does not exist: {base}/none$"):
        sc.textFile(f"{base}/none")
