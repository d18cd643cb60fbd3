"""RDD checkpointing and SparkContext.setCheckpointDir, with PySpark 4.3's observable
behaviour: what isCheckpointed/getCheckpointFile/getStorageLevel answer before and after the
next action, the files written, and the errors."""

import os
import pickle
import re

import pytest

from ember import StorageLevel


@pytest.fixture
def checkpoint_dir(sc, tmp_path):
    sc.setCheckpointDir(str(tmp_path))
    return sc.getCheckpointDir()


def test_checkpoint_needs_a_checkpoint_directory(sc):
    sc._checkpoint_dir = None  # a fresh context's state (the module shares one context)
    assert sc.getCheckpointDir() is None
    with pytest.raises(RuntimeError, match="^Checkpoint directory has not been set in the SparkContext$"):
        sc.parallelize(range(10), 3).checkpoint()


def test_set_checkpoint_dir_makes_a_fresh_subdirectory(sc, tmp_path):
    sc.setCheckpointDir(str(tmp_path))
    directory = sc.getCheckpointDir()
    assert re.fullmatch(f"file:{tmp_path}/[0-9a-f-]{{36}}", directory)
    assert os.listdir(tmp_path) == [directory.rsplit("/", 1)[1]]
    sc.setCheckpointDir(f"file://{tmp_path}/sub")
    assert re.fullmatch(f"file:{tmp_path}/sub/[0-9a-f-]{{36}}", sc.getCheckpointDir())
    (tmp_path / "plain").write_text("x")
    with pytest.raises(OSError, match="setCheckpointDir: cannot create the checkpoint directory"):
        sc.setCheckpointDir(str(tmp_path / "plain" / "x"))
    with pytest.raises(TypeError, match="setCheckpointDir expects a directory path, got int 5"):
        sc.setCheckpointDir(5)


def test_checkpoint_happens_at_the_next_action(sc, checkpoint_dir):
    rdd = sc.parallelize(range(10), 3)
    assert not rdd.isCheckpointed()
    rdd.checkpoint()
    assert not rdd.isCheckpointed() and rdd.getCheckpointFile() is None
    assert rdd.count() == 10
    assert rdd.isCheckpointed()
    assert rdd.getCheckpointFile() == f"{checkpoint_dir}/rdd-{rdd.id()}"
    assert sorted(os.listdir(rdd.getCheckpointFile().removeprefix("file:"))) == [
        "part-00000",
        "part-00001",
        "part-00002",
    ]
    assert rdd.collect() == list(range(10))
    assert rdd.glom().collect() == [[0, 1, 2], [3, 4, 5], [6, 7, 8, 9]]
    rdd.checkpoint()  # again: nothing changes
    assert rdd.getCheckpointFile() == f"{checkpoint_dir}/rdd-{rdd.id()}"


def test_checkpointed_rdds_read_their_files_not_their_parents(sc, checkpoint_dir):
    computed = sc.accumulator(0)

    def counted(x):
        computed.add(1)
        return x * 2

    rdd = sc.parallelize(range(10), 3).map(counted)
    rdd.checkpoint()
    assert rdd.count() == 10 and rdd.isCheckpointed()
    after_checkpoint = computed.value  # the action, then the job that wrote the files
    assert after_checkpoint == 20
    assert rdd.map(lambda x: x + 1).collect() == [1, 3, 5, 7, 9, 11, 13, 15, 17, 19]
    assert computed.value == after_checkpoint
    assert pickle.loads(pickle.dumps(rdd)).__dict__.keys() <= {
        "ctx",
        "_id",
        "_num_partitions",
        "partitioner",
        "_storage_level",
        "name_",
        "_checkpoint",
    }


def test_checkpoint_after_earlier_jobs_and_of_shuffled_rdds(sc, checkpoint_dir):
    rdd = sc.parallelize(range(10), 3)
    rdd.count()
    rdd.checkpoint()
    rdd.count()
    assert rdd.isCheckpointed()
    summed = sc.parallelize([(1, 2), (3, 4), (1, 5)], 2).reduceByKey(lambda a, b: a + b)
    summed.checkpoint()
    summed.collect()
    assert summed.isCheckpointed() and summed.partitioner is not None
    assert summed.glom().collect() == [[], [(1, 7), (3, 4)]]
    assert summed.mapValues(lambda v: v * 10).collect() == [(1, 70), (3, 40)]
    empty = sc.parallelize([], 2)
    empty.checkpoint()
    empty.count()
    assert empty.isCheckpointed() and empty.collect() == []


def test_local_checkpoint(sc, checkpoint_dir):
    rdd = sc.parallelize(range(6), 2).map(lambda x: x + 1)
    assert str(rdd.getStorageLevel()) == "Serialized 1x Replicated"
    rdd.localCheckpoint()
    assert rdd.isLocallyCheckpointed() and not rdd.isCheckpointed()
    assert str(rdd.getStorageLevel()) == "Disk Memory Deserialized 1x Replicated"
    assert rdd.getStorageLevel() == StorageLevel(True, True, False, True, 1)
    assert rdd.take(1) == [1]  # computes one partition; the other is computed for the checkpoint
    assert rdd.isCheckpointed() and rdd.getCheckpointFile() is None
    assert rdd.collect() == [1, 2, 3, 4, 5, 6]
    cached = sc.parallelize(range(6), 2).map(lambda x: x + 1).cache()
    cached.localCheckpoint()
    assert repr(cached.getStorageLevel()) == "StorageLevel(True, True, False, False, 1)"


def test_local_checkpoint_wins_over_checkpoint(sc, checkpoint_dir):
    local_first = sc.parallelize(range(6), 2)
    local_first.localCheckpoint()
    local_first.checkpoint()
    local_first.count()
    assert local_first.isLocallyCheckpointed() and local_first.isCheckpointed()
    assert local_first.getCheckpointFile() is None
    reliable_first = sc.parallelize(range(6), 2)
    reliable_first.checkpoint()
    reliable_first.localCheckpoint()
    reliable_first.count()
    assert reliable_first.isLocallyCheckpointed() and reliable_first.getCheckpointFile() is None


def test_a_lost_local_checkpoint_says_so(sc):
    rdd = sc.parallelize(range(4), 2).map(lambda x: x)
    rdd.localCheckpoint()
    rdd.count()
    rdd.unpersist()
    # both partitions' blocks are gone: whichever task fails first names its own (as in Spark)
    with pytest.raises(
        RuntimeError, match=rf"Checkpoint block rdd/{rdd.id()}/[01] not found! Either the executor"
    ):
        rdd.collect()
