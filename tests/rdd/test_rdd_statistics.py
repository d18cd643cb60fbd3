"""stats(), the statistics derived from it and histogram(); every expected value, repr and
error message was printed by PySpark 4.3 (local[2], without numpy) for the same input, except
where numpy changes PySpark's output (then both literals are given)."""

import importlib.util
import math

import pytest

from ember.statcounter import StatCounter


def test_stats_repr_and_members(sc):
    assert (
        repr(sc.parallelize([1.5, 2.5, 10.0, -3.25], 2).stats())
        == "(count: 4, mean: 2.6875, stdev: 4.747943633827175, max: 10.0, min: -3.25)"
    )
    assert (
        repr(sc.parallelize([x * 0.37 for x in range(101)], 3).stats())
        == "(count: 101, mean: 18.49999999999999, stdev: 10.787261005463801, max: 37.0, min: 0.0)"
    )
    s = sc.parallelize([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0], 3).stats()
    assert (
        s.count(),
        s.mean(),
        s.sum(),
        s.min(),
        s.max(),
        s.variance(),
        s.sampleVariance(),
        s.stdev(),
        s.sampleStdev(),
    ) == (8, 5.0, 40.0, 2.0, 9.0, 4.0, 4.571428571428571, 2.0, 2.138089935299395)
    # As in PySpark, asDict() defaults to the sample statistics and asDict(True) to the others.
    assert s.asDict() == {
        "count": 8,
        "mean": 5.0,
        "sum": 40.0,
        "min": 2.0,
        "max": 9.0,
        "stdev": 2.138089935299395,
        "variance": 4.571428571428571,
    }
    assert s.asDict(True) == {
        "count": 8,
        "mean": 5.0,
        "sum": 40.0,
        "min": 2.0,
        "max": 9.0,
        "stdev": 2.0,
        "variance": 4.0,
    }


def test_stats_of_empty_and_single_records(sc):
    assert repr(sc.parallelize([], 2).stats()) == "(count: 0, mean: 0.0, stdev: nan, max: -inf, min: inf)"
    assert sc.parallelize([], 2).mean() == 0.0
    assert math.isnan(sc.parallelize([], 2).variance())
    single = sc.parallelize([42.0], 3).stats()
    assert repr(single) == "(count: 1, mean: 42.0, stdev: 0.0, max: 42.0, min: 42.0)"
    assert math.isnan(single.sampleVariance()) and math.isnan(single.sampleStdev())
    # With numpy installed, PySpark (and ember) compare with numpy.maximum, where NaN wins.
    with_nan = repr(sc.parallelize([1.0, float("nan"), 3.0], 2).stats())
    if importlib.util.find_spec("numpy"):
        assert with_nan == "(count: 3, mean: nan, stdev: nan, max: nan, min: nan)"
    else:
        assert with_nan == "(count: 3, mean: nan, stdev: nan, max: 3.0, min: 1.0)"
    with pytest.raises(ValueError, match=r"^Can not reduce\(\) empty RDD$"):
        sc.emptyRDD().stats()
    with pytest.raises(ValueError, match=r"^Can not reduce\(\) empty RDD$"):
        sc.emptyRDD().mean()


def test_mean_variance_stdev(sc):
    numbers = sc.parallelize([1, 2, 3, 4], 2)
    assert (
        numbers.mean(),
        numbers.variance(),
        numbers.stdev(),
        numbers.sampleVariance(),
        numbers.sampleStdev(),
    ) == (2.5, 1.25, 1.118033988749895, 1.6666666666666667, 1.2909944487358056)
    assert sc.parallelize(range(1, 11), 3).mean() == 5.5
    assert sc.parallelize([x * 0.1 for x in range(1000)], 4).variance() == 833.332499999988


def test_stat_counter_on_its_own():
    assert repr(StatCounter([1.0, 2.0])) == "(count: 2, mean: 1.5, stdev: 0.5, max: 2.0, min: 1.0)"
    assert repr(StatCounter()) == "(count: 0, mean: 0.0, stdev: nan, max: -inf, min: inf)"
    assert repr(StatCounter([1.0]).merge(3.0)) == "(count: 2, mean: 2.0, stdev: 1.0, max: 3.0, min: 1.0)"
    doubled = StatCounter([1.0, 2.0])
    assert repr(doubled.mergeStats(doubled)) == "(count: 4, mean: 1.5, stdev: 0.5, max: 2.0, min: 1.0)"
    original = StatCounter([1.0])
    copied = original.copy().merge(5.0)
    assert original.count() == 1 and copied.count() == 2
    with pytest.raises(TypeError, match="^Can only merge StatCounter but got <class 'int'>$"):
        StatCounter([1.0]).mergeStats(3)


def test_histogram_with_a_bucket_count(sc):
    def histogram(data, buckets):
        return sc.parallelize(data, 2).histogram(buckets)

    assert histogram(list(range(51)), 10) == (
        [0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50],
        [5, 5, 5, 5, 5, 5, 5, 5, 5, 6],
    )
    assert histogram([1.0, 2.5, 3.3, 7.9, 10.0], 3) == ([1.0, 4.0, 7.0, 10.0], [3, 0, 2])
    assert histogram([1, 2, 3, 4, 5, 6, 7, 8, 10], 3) == ([1, 4, 7, 10], [3, 3, 3])
    assert histogram([1, 5, 9], 1) == ([1, 9], [3])
    assert histogram([4, 4, 4], 5) == ([4, 4], [3])
    assert histogram([1, None, float("nan"), 5, 9], 2) == ([1, 5, 9], [1, 2])
    assert histogram([1, 2, 3], True) == ([1, 3], [3])


def test_histogram_with_bucket_bounds(sc):
    def histogram(data, buckets):
        return sc.parallelize(data, 2).histogram(buckets)

    assert histogram([1, 2, 3, 5, 7, 10, 11, -1], [0, 5, 10]) == ([0, 5, 10], [3, 3])
    assert histogram([1, 2, 3, 5, 7, 10, 11, -1, 25], [0, 5, 10, 25]) == ([0, 5, 10, 25], [3, 2, 3])
    assert histogram([1, 2, 3], (0, 2, 4)) == ((0, 2, 4), [1, 2])
    assert histogram(["a", "b", "c", "d", "z"], ["a", "c", "e"]) == (["a", "c", "e"], [2, 2])
    assert histogram([0.1, 0.2, 0.3, 0.9, 1.0], [0.0, 0.5, 1.0]) == ([0.0, 0.5, 1.0], [3, 2])
    assert histogram([], [0, 1, 2]) == ([0, 1, 2], [0, 0])


@pytest.mark.parametrize(
    "data, buckets, error, message",
    [
        ([1, 2], 0, ValueError, "number of buckets must be >= 1"),
        ([], 3, ValueError, r"Can not reduce\(\) empty RDD"),
        ([None, None], 2, ValueError, r"Can not reduce\(\) empty RDD"),
        ([1, float("inf")], 2, ValueError, "Can not generate buckets with infinite value"),
        (["a", "b", "c"], 2, TypeError, "Can not generate buckets with non-number in RDD"),
        ([1], [1], ValueError, "buckets should have more than one value"),
        ([1], [1, None], ValueError, "can not have None or NaN in buckets"),
        ([1], [3, 1], ValueError, "buckets should be sorted"),
        ([1], [1, 1, 2], ValueError, "buckets should not contain duplicated values"),
        ([1], "3", TypeError, r"buckets should be a list or tuple or number\(int or long\)"),
        ([1], 2.0, TypeError, r"buckets should be a list or tuple or number\(int or long\)"),
    ],
)
def test_histogram_errors(sc, data, buckets, error, message):
    with pytest.raises(error, match=f"^{message}$"):
        sc.parallelize(data, 2).histogram(buckets)
