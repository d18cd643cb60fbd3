"""Fixtures of ember-flume's tests: a local[2] StreamingContext on the real clock and the
receiver errors a listener saw."""

from stream_fixtures import events, sc, ssc  # noqa: F401 - fixtures
