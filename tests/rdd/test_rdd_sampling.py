"""sample: with a seed, the same records as PySpark picks."""

import pytest
from rdd_layout import layout


def test_sample_without_replacement(sc):
    assert layout(sc.parallelize(range(30), 3).sample(False, 0.3, 7)) == (
        3,
        [[0, 2, 4, 9], [10, 16, 19], [22, 23, 26]],
    )
    everything = sc.parallelize(range(10), 2).sample(False, 1.0, 5)
    assert layout(everything) == (2, [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]])


def test_sample_with_replacement(sc):
    assert layout(sc.parallelize(range(30), 3).sample(True, 0.5, 3)) == (
        3,
        [[0, 1, 2, 3, 5, 7], [10, 10, 11, 13, 14, 14, 15, 15, 16], [21, 22, 23, 24, 28, 29]],
    )
    many = sc.parallelize(range(20), 2).sample(True, 25.0, 1).collect()
    assert many[:10] == [0] * 10 and set(many) <= set(range(20))


def test_sample_rejects_a_negative_fraction(sc):
    with pytest.raises(ValueError, match="Fraction must be nonnegative"):
        sc.parallelize([1]).sample(False, -0.5, 1)
