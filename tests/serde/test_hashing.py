"""portable_hash is the same in every process, whatever its hash seed, and equals PySpark's."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys

import pytest
from services import required_module

KEYS = (
    "None, 'word', '', 'ünïcödé', '日本語', '\U0001f600 emoji', b'bytes', b'', 0, -1, 2**70, 1.5, "
    "-0.0, True, ('a', 1), ('nested', ('t', None)), (), 'x' * 1000"
)
EXTRA_KEYS = "datetime.date(2024, 2, 29), datetime.datetime(2024, 1, 1, 12, 30), frozenset({'a', 'b'})"


def _hashes(seed: str, module: str, keys: str) -> list[int]:
    code = (
        f"import datetime, json; from {module} import portable_hash; "
        f"print(json.dumps([portable_hash(k) for k in [{keys}]]))"
    )
    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


@pytest.mark.parametrize("seed", ["1", "4242", "random"])
def test_the_hash_does_not_depend_on_the_process_hash_seed(seed):
    keys = f"{KEYS}, {EXTRA_KEYS}"
    assert _hashes(seed, "ember.serde.hashing", keys) == _hashes("0", "ember.serde.hashing", keys)


def test_the_hash_equals_pysparks_for_the_types_pyspark_hashes_itself():
    required_module("pyspark", "pip install pyspark==4.3.0 (./scripts/test.sh installs it)")
    assert _hashes("random", "ember.serde.hashing", KEYS) == _hashes("0", "pyspark.rdd", KEYS)


def test_dates_hash_by_their_iso_text():
    from ember.serde.hashing import portable_hash

    day = datetime.date(2024, 2, 29)
    assert portable_hash(day) == portable_hash(day.isoformat())
