"""A fresh virtual environment with only the core and ember-socket installed (from wheels
built here, with the core's dependencies copied from this environment: no index needed).

The socket word count runs, ``python -m ember plugins`` lists only socket, and asking for
anything else names the distribution to install."""

from __future__ import annotations

import json
import pathlib
import socket
import threading

import pytest
from plugin_distributions import CORE_DEPENDENCIES, run_python, venv_with_wheels

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def venv_python(tmp_path_factory) -> str:
    return venv_with_wheels(
        tmp_path_factory.mktemp("fresh-venv"),
        [ROOT, ROOT / "connectors" / "socket"],
        ["ember", "ember-socket"],
    )


def test_the_environment_holds_only_the_core_and_ember_socket(venv_python):
    done = run_python(
        venv_python,
        "-c",
        "import importlib.metadata as m, json; "
        "print(json.dumps([d.metadata['Name'] for d in m.distributions()]))",
    )
    names = set(json.loads(done.stdout))
    assert {"ember", "ember-socket", *CORE_DEPENDENCIES} <= names
    assert not {"ember-files", "ember-sink-files", "boto3", "pyspark"} & names


def test_plugins_lists_only_socket(venv_python):
    done = run_python(venv_python, "-m", "ember", "plugins", "--json")
    assert done.returncode == 0, done.stderr
    [plugin] = json.loads(done.stdout)
    assert (plugin["distribution"], plugin["provides"], plugin["errors"]) == (
        "ember-socket",
        {"sources": ["socket"]},
        [],
    )


WORD_COUNT = """
import sys
from ember import SparkContext
from ember.streaming import StreamingContext

sc = SparkContext("local[2]", "NetworkWordCount")
ssc = StreamingContext(sc, 0.2)
lines = ssc.socketTextStream("127.0.0.1", int(sys.argv[1]))
counts = lines.flatMap(lambda line: line.split(" ")).map(lambda word: (word, 1)).reduceByKey(lambda a, b: a + b)
counts.pprint()
seen = []
counts.foreachRDD(lambda rdd: seen.extend(rdd.collect()))
ssc.start()
while sum(n for _, n in seen) < 5 and not ssc.awaitTerminationOrTimeout(0.05):
    pass
ssc.stop()
"""


def test_the_socket_word_count_runs(venv_python, tmp_path):
    listener = socket.create_server(("127.0.0.1", 0))

    def serve():
        connection, _ = listener.accept()
        with connection:
            connection.sendall(b"hello ember\nhello hello world\n")
            connection.recv(1)  # keep the connection open until the job goes away

    threading.Thread(target=serve, daemon=True).start()
    job = tmp_path / "network_wordcount.py"
    job.write_text(WORD_COUNT)
    done = run_python(venv_python, "-m", "ember", "run", str(job), str(listener.getsockname()[1]), timeout=60)
    listener.close()
    assert done.returncode == 0, done.stderr
    assert "('hello', 3)" in done.stdout and "('ember', 1)" in done.stdout and "('world', 1)" in done.stdout
    assert "-------------------------------------------\nTime: " in done.stdout


@pytest.mark.parametrize(
    "program, distribution",
    [
        ("ssc.textFileStream('/tmp')", "ember-files"),
        ("ssc.binaryRecordsStream('/tmp', 4)", "ember-files"),
        ("ssc.queueStream([[1]]).saveAsTextFiles('/tmp/out')", "ember-sink-files"),
        ("from ember.streaming.kafka import KafkaUtils", "ember-kafka"),
    ],
)
def test_what_is_not_installed_names_its_distribution(venv_python, program, distribution):
    script = (
        "from ember import SparkContext\nfrom ember.streaming import StreamingContext\n"
        "ssc = StreamingContext(SparkContext('local[1]', 'missing'), 1)\n" + program
    )
    done = run_python(venv_python, "-c", script)
    assert done.returncode != 0
    assert "MissingPluginError: No installed ember plugin provides" in done.stderr
    assert done.stderr.rstrip().endswith(f"pip install {distribution}"), done.stderr[-400:]
