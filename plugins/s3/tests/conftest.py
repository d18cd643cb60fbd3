"""Fixtures of ember-s3's tests: a moto S3 server for the session and a bucket per test."""

from s3_fixtures import moto_endpoint, moto_server, s3_bucket  # noqa: F401 - fixtures
