"""getOrCreate in one process, on a manual clock: state restored, intervals, and each bad
checkpoint's error or fallback."""

from __future__ import annotations

import logging
import os
import struct

import pytest

from ember import SparkConf, SparkContext
from ember.checkpoint import (
    CheckpointSignatureError,
    CheckpointValueError,
    CheckpointVersionError,
    GraphMismatchError,
)
from ember.streaming import StreamingContext
from ember.streaming.clock import ManualClock
from ember.testing import advance_batches


class Tally:
    """A state type msgpack cannot hold (needs the pickle opt-in)."""

    def __init__(self, count):
        self.count = count


def _context(start_ms: int, conf: dict | None = None, batch_seconds: float = 1) -> StreamingContext:
    sc = SparkContext("local[1]", "recovery-test", conf=SparkConf().setAll((conf or {}).items()))
    return StreamingContext(sc, batch_seconds, clock=ManualClock(start_ms))


def _word_totals(
    ssc: StreamingContext, batches: list[list[str]], outputs: list, window: bool = False, update=None
):
    pairs = ssc.queueStream([ssc.sparkContext.parallelize(b, 2) for b in batches]).map(lambda w: (w, 1))
    totals = pairs.updateStateByKey(update or (lambda new, total: sum(new) + (total or 0)))
    totals.checkpoint(totals._slideDuration)  # state saved every batch
    if window:
        pairs.reduceByKeyAndWindow(lambda a, b: a + b, lambda a, b: a - b, 5, 1).pprint()
    totals.foreachRDD(lambda rdd: outputs.append(sorted(rdd.collect())))


def _totals_job(
    start_ms: int,
    batches: list[list[str]],
    outputs: list,
    conf: dict | None = None,
    batch_seconds: float = 1,
    **options,
):
    """A setup function for getOrCreate: word totals of ``batches``, on a clock at ``start_ms``."""

    def setup():
        ssc = _context(start_ms, conf, batch_seconds)
        _word_totals(ssc, batches, outputs, **options)
        return ssc

    return setup


def _run(path: str, setup, batches_to_run: int) -> StreamingContext:
    ssc = StreamingContext.getOrCreate(path, setup)
    ssc.start()
    try:
        advance_batches(ssc, batches_to_run)
    finally:
        ssc.stop()
    return ssc


def test_state_is_restored_and_the_job_goes_on(tmp_path):
    path = str(tmp_path / "ckpt")
    first, second = [], []

    first_setup = _totals_job(0, [["a", "b"], ["a"], ["c"]], first)
    _run(path, first_setup, 3)
    assert first[-1] == [("a", 2), ("b", 1), ("c", 1)]

    second_setup = _totals_job(3000, [["a"], ["d"]], second)
    _run(path, second_setup, 2)
    assert second == [[("a", 3), ("b", 1), ("c", 1)], [("a", 3), ("b", 1), ("c", 1), ("d", 1)]]


def test_default_checkpoint_interval_is_a_multiple_of_the_slide_of_at_least_10_s(tmp_path):
    path = str(tmp_path / "ckpt")

    def setup():
        ssc = _context(0, batch_seconds=3)
        pairs = ssc.queueStream([], default=ssc.sparkContext.parallelize([("k", 1)]))
        pairs.updateStateByKey(lambda new, total: sum(new) + (total or 0)).pprint()
        return ssc

    _run(path, setup, 5)
    # 12000: the interval (4 slides of 3 s); 15000: the final checkpoint at stop
    assert sorted(os.listdir(os.path.join(path, "state"))) == ["1-12000", "1-15000"]


def test_a_checkpoint_interval_not_a_multiple_of_the_slide_is_an_error(tmp_path):
    ssc = _context(0)
    try:
        stream = ssc.queueStream([[1]]).map(lambda x: (x, 1)).updateStateByKey(lambda n, s: 1)
        with pytest.raises(ValueError, match=r"checkpoint interval .*1500 ms.* multiple of its slide"):
            stream.checkpoint(1.5)
    finally:
        ssc.stop()


def test_a_changed_graph_is_refused_saying_what_differs(tmp_path):
    path = str(tmp_path / "ckpt")
    outputs = []

    original = _totals_job(0, [["a"]], outputs)
    _run(path, original, 2)

    with_a_window = _totals_job(2000, [["a"]], outputs, window=True)
    with pytest.raises(GraphMismatchError) as caught:
        StreamingContext.getOrCreate(path, with_a_window)
    message = str(caught.value)
    assert f"does not match the checkpoint in {path}" in message
    assert "the checkpoint has 4 streams, the setup function now builds 7" in message
    assert "is new" in message and "reducedWindow" in message
    assert f"To start fresh, delete {path}" in message
    assert StreamingContext.getActive() is None


def test_a_changed_batch_interval_is_refused(tmp_path):
    path = str(tmp_path / "ckpt")
    outputs = []

    _run(path, _totals_job(0, [["a"]], outputs, batch_seconds=1), 1)
    with pytest.raises(
        GraphMismatchError, match="the batch interval was 1000 ms, the setup function now uses 2000 ms"
    ):
        StreamingContext.getOrCreate(path, _totals_job(0, [["a"]], outputs, batch_seconds=2))


def _rewrite_latest(path: str, change) -> str:
    name = max(
        (n for n in os.listdir(path) if n.startswith("checkpoint-")), key=lambda n: int(n.split("-")[1])
    )
    with open(os.path.join(path, name), "rb") as handle:
        data = handle.read()
    with open(os.path.join(path, name), "wb") as handle:
        handle.write(change(data))
    return name


def test_a_checkpoint_from_a_newer_ember_is_refused(tmp_path):
    path = str(tmp_path / "ckpt")
    outputs = []

    setup = _totals_job(0, [["a"]], outputs)
    _run(path, setup, 2)
    name = _rewrite_latest(path, lambda data: data[:8] + struct.pack(">H", 99) + data[10:])
    with pytest.raises(CheckpointVersionError, match=f"{name}: written in checkpoint format version 99"):
        StreamingContext.getOrCreate(path, setup)


def test_a_corrupt_latest_checkpoint_falls_back_to_the_one_before(tmp_path, caplog):
    path = str(tmp_path / "ckpt")
    first, second = [], []

    first_setup = _totals_job(0, [["a"], ["a"], ["b"]], first)
    _run(path, first_setup, 3)
    name = _rewrite_latest(path, lambda data: data[:-10] + bytes(10))
    assert name == "checkpoint-3000"

    # the batch at 3000 runs again: its input is now ["b"]
    second_setup = _totals_job(3000, [["b"], ["c"]], second)

    with caplog.at_level(logging.WARNING, logger="ember.checkpoint"):
        _run(path, second_setup, 1)
    assert "checkpoint-3000: checksum mismatch" in caplog.text
    assert second == [[("a", 2), ("b", 1)], [("a", 2), ("b", 1), ("c", 1)]]


def test_state_of_user_types_needs_the_opt_in(tmp_path):
    ssc = _context(0)
    outputs = []
    _word_totals(ssc, [["a"]], outputs, update=lambda new, tally: Tally(len(new)))
    ssc.checkpoint(str(tmp_path / "ckpt"))
    ssc.start()
    try:
        with pytest.raises(CheckpointValueError, match="Tally.*ember.checkpoint.allowPickle=true"):
            advance_batches(ssc, 1)
    finally:
        ssc.stop()


def test_signed_pickled_state_recovers_and_a_wrong_key_is_refused(tmp_path):
    path = str(tmp_path / "ckpt")
    seen = []
    settings = {"spark.ember.checkpoint.allowPickle": "true", "spark.ember.checkpoint.pickleKey": "k1"}

    def setup(start_ms, key):
        ssc = _context(start_ms, dict(settings, **{"spark.ember.checkpoint.pickleKey": key}))
        _word_totals(
            ssc, [["a"], ["a"]], [], update=lambda new, tally: Tally(len(new) + (tally.count if tally else 0))
        )
        ssc._graph.outputs[-1].parents[0].foreachRDD(
            lambda rdd: seen.append(sorted((k, t.count) for k, t in rdd.collect()))
        )
        return ssc

    _run(path, lambda: setup(0, "k1"), 2)
    with pytest.raises(CheckpointSignatureError, match="does not verify with the configured"):
        StreamingContext.getOrCreate(path, lambda: setup(2000, "another key"))
    _run(path, lambda: setup(2000, "k1"), 1)
    assert seen[-1] == [("a", 3)]


def test_catch_up_after_downtime_can_be_bounded(tmp_path, caplog):
    path = str(tmp_path / "ckpt")
    first, second = [], []

    first_setup = _totals_job(0, [["a"], ["a"]], first)
    _run(path, first_setup, 2)

    # down from 2000 to 7000 ms: five batches missed
    second_setup = _totals_job(
        7000,
        [["b"], ["b"], ["b"], ["c"], ["d"]],
        second,
        {"spark.ember.streaming.recovery.maxCatchUpBatches": "2"},
    )

    with caplog.at_level(logging.WARNING, logger="ember.checkpoint"):
        _run(path, second_setup, 1)
    assert "down for 5 batches" in caplog.text and "from 3000 to 5000 ms" in caplog.text
    # 3000..5000 only updated state; 6000 and 7000 ran their outputs
    assert second[:2] == [[("a", 2), ("b", 3), ("c", 1)], [("a", 2), ("b", 3), ("c", 1), ("d", 1)]]


def test_an_unknown_checkpoint_scheme_fails_at_checkpoint(tmp_path):
    from ember.plugins import MissingPluginError

    ssc = _context(0)
    try:
        with pytest.raises(
            MissingPluginError, match="checkpoint store for 'hdfs://'.*file:// \\(built in\\)"
        ):
            ssc.checkpoint("hdfs://namenode:8020/ckpt")
    finally:
        ssc.stop()


def test_a_job_checkpointed_in_s3_recovers(s3_bucket):
    path = f"s3://{s3_bucket}/jobs/word-totals"
    first, second = [], []

    _run(path, _totals_job(0, [["a"], ["b"]], first), 2)
    _run(path, _totals_job(2000, [["a"]], second), 1)
    assert second == [[("a", 2), ("b", 1)]]


def test_map_with_state_is_restored(tmp_path):
    from ember.streaming import StateSpec

    path = str(tmp_path / "ckpt")
    snapshots = []

    def count(key, value, state):
        total = (state.getOption() or 0) + value
        state.update(total)
        return (key, total)

    def setup(start_ms, batches):
        def build():
            ssc = _context(start_ms)
            pairs = ssc.queueStream([ssc.sparkContext.parallelize(b, 2) for b in batches])
            counted = (
                pairs.map(lambda w: ((w, len(w)), 1)).mapWithState(StateSpec.function(count)).checkpoint(1)
            )
            counted.stateSnapshots().foreachRDD(lambda rdd: snapshots.append(sorted(rdd.collect())))
            return ssc

        return build

    _run(path, setup(0, [["ab", "c"], ["ab"]]), 2)
    _run(path, setup(2000, [["c", "d"]]), 1)
    assert snapshots[-1] == [(("ab", 2), 2), (("c", 1), 2), (("d", 1), 1)]
