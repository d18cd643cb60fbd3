"""Fixtures of ember-sink-kafka's tests: ember-kafka's (a real Tansu broker, both client
libraries, a local[2] SparkContext)."""

from kafka_fixtures import _session_tansu, client, sc, tansu  # noqa: F401 - fixtures
