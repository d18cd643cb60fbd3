"""librdkafka's retry lines while a broker is down go through Python logging at DEBUG level:
nothing on stderr after the error ember reports itself, and captured where logging is set up."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("confluent_kafka", reason="the confluent client: pip install confluent-kafka")

PROGRAM = """
import logging, sys
from ember_kafka.clients import open_reader
from ember_kafka.errors import BrokerUnreachableError
from ember_kafka.settings import parse_kafka_params
from ember_kafka.testing import free_port

if sys.argv[1] == "debug":
    logging.basicConfig(level=logging.DEBUG, stream=sys.stdout, format="%(levelname)s %(name)s %(message)s")
reader = open_reader(parse_kafka_params({"bootstrap.servers": f"127.0.0.1:{free_port()}",
                                         "ember.kafka.client": "confluent",
                                         "ember.kafka.connect.timeout.ms": "1000"}))
try:
    reader.partitions(["t"])
except BrokerUnreachableError as error:
    print("reported:", type(error).__name__, file=sys.stderr)
reader.close()
"""


def _run(mode: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PROGRAM, mode], capture_output=True, text=True, timeout=120)


def test_a_closed_client_leaves_no_librdkafka_lines_on_stderr():
    done = _run("quiet")
    assert done.returncode == 0, done.stderr
    assert done.stderr == "reported: BrokerUnreachableError\n"


def test_librdkafka_lines_reach_python_logging_at_debug_level():
    done = _run("debug")
    assert "DEBUG ember.kafka.librdkafka FAIL [rdkafka#consumer-" in done.stdout
