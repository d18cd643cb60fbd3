"""ember's own settings are named spark.ember.* (spark-submit forwards only spark.* keys); the
former ember.* names still work, with one warning per name that gives the new name."""

from __future__ import annotations

import subprocess
import sys

PROGRAM = """
import warnings
warnings.simplefilter("always")
from ember import SparkConf
from ember.checkpoint import CheckpointDirectory
from ember.conf import set_submit_defaults

with warnings.catch_warnings(record=True) as caught:
    set_submit_defaults({"ember.streaming.recovery.maxCatchUpBatches": "2"})
    conf = SparkConf().set("ember.checkpoint.keep", "3").set("ember.checkpoint.keep", "4")
    print(conf.get("spark.ember.checkpoint.keep"), conf.get("ember.checkpoint.keep"),
          conf.get("spark.ember.streaming.recovery.maxCatchUpBatches"),
          CheckpointDirectory.open(sys.argv[1], conf).keep)
for warning in caught:
    print(warning.category.__name__, warning.message)
"""


def test_former_ember_names_still_work_and_warn_once_each_with_the_new_name(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", "import sys\n" + PROGRAM, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "4 4 2 4",
        "FutureWarning the setting ember.streaming.recovery.maxCatchUpBatches is now named "
        "spark.ember.streaming.recovery.maxCatchUpBatches; the old name still works for now",
        "FutureWarning the setting ember.checkpoint.keep is now named spark.ember.checkpoint.keep; "
        "the old name still works for now",
    ]


def test_other_settings_keep_their_names():
    from ember import SparkConf

    conf = SparkConf(loadDefaults=False).set("spark.ember.shm.budget", "1g").set("embers.x", "1")
    assert conf.getAll() == [("spark.ember.shm.budget", "1g"), ("embers.x", "1")]
