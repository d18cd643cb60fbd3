"""Fixtures of ember-kafka's tests: a real Tansu broker, both client libraries, a local[2]
SparkContext (shared with ember-sink-kafka's tests)."""

from kafka_fixtures import _session_tansu, client, own_tansu, sc, tansu  # noqa: F401 - fixtures
