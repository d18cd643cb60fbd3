"""ember gives what PySpark gives, both run for real: ``same_programs.py`` runs once on
PySpark (4.3, on the machine's Java) and once on ember, each in an interpreter of its own, and
every result must be the same: portable_hash, partition placement, pprint's text, what a
listener reads, and a few DStream programs batch by batch."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from services import required_module, unavailable

PROGRAMS = Path(__file__).with_name("same_programs.py")


def run_programs(engine: str) -> dict[str, str]:
    environment = dict(os.environ, PYTHONHASHSEED="0", PYSPARK_PYTHON=sys.executable)
    done = subprocess.run(
        [sys.executable, str(PROGRAMS), engine], capture_output=True, text=True, timeout=300, env=environment
    )
    assert done.returncode == 0, f"{engine} failed:\n{done.stderr[-4000:]}"
    return json.loads(done.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def pyspark_results() -> dict[str, str]:
    required_module("pyspark", "pip install pyspark==4.3.0 (./scripts/test.sh installs it)")
    if shutil.which("java") is None:
        unavailable("PySpark", "java is not on PATH (PySpark 4.3 needs Java 17)")
    return run_programs("pyspark")


def test_every_program_gives_what_pyspark_gives(pyspark_results):
    ember_results = run_programs("ember")
    assert len(pyspark_results) == 14
    assert ember_results == pyspark_results
