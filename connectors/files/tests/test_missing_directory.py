"""textFileStream on a directory that does not exist says so once, not every batch, and says
again when it appears (and if it goes missing again)."""

from __future__ import annotations

import logging

from ember import SparkContext
from ember.testing import advance_batches, collect_outputs, manual_streaming_context


def test_a_missing_watched_directory_is_one_warning_repeated_only_on_change(tmp_path, caplog):
    watched = tmp_path / "incoming"
    with SparkContext("local[1]", "missing-directory") as sc:
        ssc = manual_streaming_context(sc, 1)
        outputs = collect_outputs(ssc.textFileStream(str(watched)))
        with caplog.at_level(logging.WARNING, logger="ember.files"):
            ssc.start()
            advance_batches(ssc, 3)
            watched.mkdir()
            advance_batches(ssc, 2)
            ssc.stop(stopSparkContext=False)
    assert [r.getMessage() for r in caplog.records] == [
        f"The watched directory {watched} does not exist: every batch is empty until it is created",
        f"The watched directory {watched} exists now",
    ]
    assert outputs == [[], [], [], [], []]
