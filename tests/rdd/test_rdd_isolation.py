"""Every task gets records of its own, as PySpark's tasks do (they deserialize their input):
a function that changes a record in place never alters data another job reads again."""


def test_mutating_a_record_does_not_change_the_input_slice(sc):
    rdd = sc.parallelize([[1], [2]], 1)
    assert rdd.map(lambda values: values.append(0) or values).collect() == [[1, 0], [2, 0]]
    assert rdd.collect() == [[1], [2]]


def test_mutating_a_record_does_not_change_a_cached_partition(sc):
    rdd = sc.parallelize([[1], [2]], 2).map(list).cache()
    assert rdd.collect() == [[1], [2]]
    assert rdd.map(lambda values: values.append(0) or values).collect() == [[1, 0], [2, 0]]
    assert rdd.collect() == [[1], [2]]


def test_a_merge_that_mutates_its_first_value_gives_the_same_result_every_time(sc):
    pairs = sc.parallelize([("a", [1]), ("b", [5]), ("a", [2]), ("a", [3])], 2)
    merged = pairs.reduceByKey(lambda left, right: left.extend(right) or left)
    first = sorted(merged.collect())
    assert first == [("a", [1, 2, 3]), ("b", [5])]
    assert sorted(merged.collect()) == first
    assert sorted(pairs.collect()) == [("a", [1]), ("a", [2]), ("a", [3]), ("b", [5])]


def test_grouped_values_read_twice_are_equal(sc):
    grouped = sc.parallelize([(1, "x"), (2, "y"), (1, "z")], 2).groupByKey()
    first = sorted((key, list(values)) for key, values in grouped.collect())
    assert first == [(1, ["x", "z"]), (2, ["y"])]
    assert sorted((key, list(values)) for key, values in grouped.collect()) == first
