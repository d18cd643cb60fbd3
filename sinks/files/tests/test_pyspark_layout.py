"""saveAsTextFiles writes what PySpark writes: the same batch directory names (but for the
time), the same part files with the same lines, and _SUCCESS.  PySpark is run for real."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from services import required_module, unavailable

JOB = """
import os, sys, time
{imports}
sc = SparkContext("local[2]", "layout")
ssc = StreamingContext(sc, 0.5)
batches = [sc.parallelize(["a", "b", "c"], 2), sc.parallelize([(1, "x"), (2, "y")], 3)]
ssc.queueStream(batches).saveAsTextFiles(sys.argv[1], "txt")
ssc.start()
parent, name = os.path.split(sys.argv[1])
deadline = time.time() + 120
while time.time() < deadline:
    done = [d for d in os.listdir(parent) if d.startswith(name + "-")
            and os.path.exists(os.path.join(parent, d, "_SUCCESS"))]
    if len(done) >= 2:
        break
    ssc.awaitTerminationOrTimeout(0.1)
ssc.stop()
"""


def run_job(python_imports: str, prefix: str) -> None:
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable)
    done = subprocess.run(
        [sys.executable, "-c", JOB.format(imports=python_imports), prefix],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]


def first_batches(parent) -> list[dict[str, bytes]]:
    """The first two batch directories: visible file name -> content, plus the names' shape."""
    names = sorted(os.listdir(parent))[:2]
    assert all(n.startswith("out-") and n.endswith(".txt") and n[4:-4].isdigit() for n in names), names
    return [
        {f: (parent / n / f).read_bytes() for f in sorted(os.listdir(parent / n)) if not f.startswith(".")}
        for n in names
    ]


def test_the_layout_matches_pyspark(tmp_path):
    required_module("pyspark", "pip install pyspark==4.3.0 (./scripts/test.sh installs it)")
    if shutil.which("java") is None:
        unavailable("PySpark", "java is not on PATH (PySpark 4.3 needs Java 17)")
    (tmp_path / "spark").mkdir()
    (tmp_path / "ember").mkdir()
    run_job(
        "from pyspark import SparkContext\nfrom pyspark.streaming import StreamingContext",
        str(tmp_path / "spark" / "out"),
    )
    run_job(
        "from ember import SparkContext\nfrom ember.streaming import StreamingContext",
        str(tmp_path / "ember" / "out"),
    )
    spark, ember = first_batches(tmp_path / "spark"), first_batches(tmp_path / "ember")
    assert spark[0] == {"_SUCCESS": b"", "part-00000": b"a\n", "part-00001": b"b\nc\n"}
    assert ember == spark
