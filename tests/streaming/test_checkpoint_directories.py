"""Which checkpoint directory a streaming job uses, as in Spark: ssc.checkpoint() also sets the
SparkContext's, and stateful streams accept the SparkContext's alone."""

import re

import pytest

from ember.streaming import StreamingContext


def _stateful(ssc):
    stream = ssc.queueStream([[("a", 1)]]).updateStateByKey(lambda values, state: sum(values) + (state or 0))
    stream.pprint()


def test_stateful_streams_need_a_checkpoint_directory(local_sc):
    ssc = StreamingContext(local_sc, 1)
    _stateful(ssc)
    with pytest.raises(
        ValueError,
        match=r"^The checkpoint directory has not been set\. Please set it by "
        r"StreamingContext\.checkpoint\(\)",
    ):
        ssc.start()


def test_the_spark_contexts_checkpoint_directory_is_enough(local_sc, tmp_path):
    local_sc.setCheckpointDir(str(tmp_path))
    ssc = StreamingContext(local_sc, 1)
    _stateful(ssc)
    ssc.start()
    ssc.stop(stopSparkContext=False)


def test_streaming_checkpoint_sets_the_spark_contexts_directory(local_sc, tmp_path):
    StreamingContext(local_sc, 1).checkpoint(str(tmp_path))
    assert re.fullmatch(f"file:{tmp_path}/[0-9a-f-]{{36}}", local_sc.getCheckpointDir())
