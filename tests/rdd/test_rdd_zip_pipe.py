"""zip and pipe; expected values and messages are PySpark 4.3's for the same input."""

import pytest

from ember.errors import PySparkRuntimeError


def test_zip_pairs_records_partition_by_partition(sc):
    assert sc.parallelize(range(5), 2).zip(sc.parallelize("abcde", 2)).collect() == [
        (0, "a"),
        (1, "b"),
        (2, "c"),
        (3, "d"),
        (4, "e"),
    ]
    assert sc.parallelize(range(5), 2).zip(sc.parallelize("abcde", 2)).first() == (0, "a")
    mapped = sc.parallelize(range(5), 2).map(lambda x: x * 10)
    assert mapped.zip(sc.parallelize(range(5), 2)).collect() == [(0, 0), (10, 1), (20, 2), (30, 3), (40, 4)]
    assert sc.parallelize(range(5), 2).zip(sc.parallelize(range(5, 10), 2)).glom().collect() == [
        [(0, 5), (1, 6)],
        [(2, 7), (3, 8), (4, 9)],
    ]
    zipped = sc.parallelize(range(5), 3).zip(sc.parallelize(range(5), 3))
    assert zipped.getNumPartitions() == 3 and zipped.partitioner is None


def test_zip_refuses_different_partition_counts_and_sizes(sc):
    with pytest.raises(ValueError, match="^Can only zip with RDD which has the same number of partitions$"):
        sc.parallelize(range(4), 2).zip(sc.parallelize(range(4), 3))
    uneven = sc.parallelize(range(4), 2).zip(sc.parallelize(range(5), 2))
    with pytest.raises(ValueError) as failure:
        uneven.collect()
    assert (
        str(failure.value) == "Can not deserialize PairRDD with different number of items in batches: (2, 3)"
    )


def test_pipe_runs_the_command_per_partition(sc):
    assert sc.parallelize(["1", "2", "", "3"], 2).pipe("cat").collect() == ["1", "2", "", "3"]
    assert sc.parallelize([1, 2, 3], 2).pipe("cat").glom().collect() == [["1"], ["2", "3"]]
    assert sc.parallelize(["a\nb", "c\n"], 1).pipe("cat").collect() == ["a", "b", "c"]
    assert sc.parallelize(["apple", "banana", "cherry"], 2).pipe("grep an").collect() == ["banana"]
    assert sc.parallelize(["é", "ü"], 1).pipe("cat").collect() == ["é", "ü"]
    assert sc.parallelize(["a b"], 1).pipe("awk '{print $2}'").collect() == ["b"]
    assert sc.parallelize([], 2).pipe("echo hi").collect() == ["hi", "hi"]
    assert sc.parallelize(range(10), 2).pipe("wc -l").collect() == ["5", "5"]


def test_pipe_environment_is_only_what_is_given(sc):
    assert sc.parallelize(["x"], 1).pipe("sh -c 'echo $FOO'", env={"FOO": "bar"}).collect() == ["bar"]
    assert sc.parallelize(["x"], 1).pipe("sh -c 'echo [$HOME]'").collect() == ["[]"]


def test_pipe_exit_codes(sc):
    assert sc.parallelize([1], 1).pipe("sh -c 'exit 3'").collect() == []
    with pytest.raises(PySparkRuntimeError) as failure:
        sc.parallelize([1], 1).pipe("sh -c 'exit 3'", checkCode=True).collect()
    assert (
        str(failure.value)
        == "[PIPE_FUNCTION_EXITED] Pipe function `sh -c 'exit 3'` exited with error code 3."
    )
    assert failure.value.getCondition() == "PIPE_FUNCTION_EXITED"
    with pytest.raises(FileNotFoundError, match="no-such-command-xyz"):
        sc.parallelize([1], 1).pipe("no-such-command-xyz").collect()


def test_pipe_keeps_accumulators_and_failures_of_the_records_it_feeds(sc):
    fed = sc.accumulator(0)

    def counted(x):
        fed.add(1)
        return x

    assert sc.parallelize(range(6), 3).map(counted).pipe("cat").count() == 6
    assert fed.value == 6

    def fails(x):
        if x == 4:
            raise KeyError("record four")
        return x

    with pytest.raises(KeyError, match="record four"):
        sc.parallelize(range(6), 2).map(fails).pipe("cat").collect()


def test_pipe_stops_the_command_when_only_some_output_is_taken(sc):
    assert sc.parallelize(range(3), 1).pipe("yes").take(2) == ["y", "y"]
