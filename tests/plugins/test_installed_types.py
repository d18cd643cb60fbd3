"""An installed ember gives mypy its types: a PySpark-style job is type-checked against wheels of
the core and ember-kafka (not editable) in a fresh virtual environment, as a user's editor or
CI would see them (``py.typed`` shipped, ``DStream[T]`` generic, ``KafkaUtils`` annotated)."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest
from plugin_distributions import venv_with_wheels
from services import required_module

ROOT = pathlib.Path(__file__).resolve().parents[2]

JOB = """\
from typing import reveal_type

from ember import SparkContext
from ember.streaming import StreamingContext
from ember_kafka import KafkaUtils

sc = SparkContext("local[2]", "TypedWordCount")
ssc = StreamingContext(sc, {batch_interval})
lines = ssc.socketTextStream("localhost", 9999)
counts = lines.{flat_map}(lambda line: line.split(" ")).map(lambda word: (word, 1)).reduceByKey(lambda a, b: a + b)
counts.pprint()
reveal_type(counts)
reveal_type(counts.window(30, 10).count())
orders = KafkaUtils.createDirectStream(ssc, ["orders"], {{"metadata.broker.list": "localhost:9092"}})
reveal_type(orders)
"""


@pytest.fixture(scope="module")
def check(tmp_path_factory):
    """``check(source)``: mypy's output lines and exit code for ``source`` as ``job.py``."""
    required_module("mypy", "pip install mypy (./scripts/test.sh installs it)")
    root = tmp_path_factory.mktemp("typed-venv")
    python = venv_with_wheels(root, [ROOT, ROOT / "connectors" / "kafka"], ["ember", "ember-kafka"])
    (root / "mypy.ini").write_text("[mypy]\n")  # mypy's defaults, not this repository's settings

    def run(source: str) -> tuple[list[str], int]:
        (root / "job.py").write_text(source)
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "mypy",
                "--python-executable",
                python,
                "--config-file",
                "mypy.ini",
                "--cache-dir",
                str(root / "cache"),
                "--no-error-summary",
                "--no-color-output",
                "job.py",
            ],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return done.stdout.splitlines(), done.returncode

    return run


def test_a_correct_job_passes_with_the_element_types(check):
    lines, code = check(JOB.format(batch_interval="1", flat_map="flatMap"))
    assert lines == [
        'job.py:12: note: Revealed type is "ember.streaming.dstream.DStream[tuple[builtins.str, builtins.int]]"',
        'job.py:13: note: Revealed type is "ember.streaming.dstream.DStream[builtins.int]"',
        'job.py:15: note: Revealed type is "ember.streaming.dstream.DStream[Any]"',
    ]
    assert code == 0


def test_a_string_batch_interval_fails(check):
    lines, code = check(JOB.format(batch_interval='"1"', flat_map="flatMap"))
    assert lines[0] == (
        'job.py:8: error: Argument 2 to "StreamingContext" has incompatible type "str"; '
        'expected "float | None"  [arg-type]'
    )
    assert code == 1


def test_a_method_that_does_not_exist_fails(check):
    lines, code = check(JOB.format(batch_interval="1", flat_map="flatMapp"))
    assert lines[0] == 'job.py:10: error: "DStream[str]" has no attribute "flatMapp"  [attr-defined]'
    assert code == 1
