"""Summary statistics of numeric RDDs: StatCounter, stats() and what is derived from it,
and histogram().

Each partition is summarized by a StatCounter (count, mean and the sum of squared deviations,
updated per value with Welford's method) and the summaries are merged on the driver in
partition order, as PySpark does, so every result equals PySpark's to the last bit.  Like
PySpark, StatCounter takes numpy's ``maximum``/``minimum``/``sqrt`` when numpy is installed
(then ``max()`` of integers is a float, and NaN wins a comparison), else the builtins.
"""

from __future__ import annotations

import bisect
import copy
import functools
import math
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ember.rdd.rdd import RDD


@functools.cache
def _numeric_functions() -> tuple[Callable[[Any, Any], Any], Callable[[Any, Any], Any], Callable[[Any], Any]]:
    """numpy's maximum, minimum and sqrt when numpy is installed, else the builtins; looked
    up on first use so that importing ember does not import numpy."""
    try:
        import numpy
    except ImportError:
        return max, min, math.sqrt
    return numpy.maximum, numpy.minimum, numpy.sqrt


class StatCounter:
    """Running count, mean, variance, min and max of numbers (``pyspark.statcounter``)."""

    def __init__(self, values: Iterable | None = None):
        self.n = 0
        self.mu = 0.0
        self.m2 = 0.0  # sum of squared deviations from the mean
        self.maxValue = float("-inf")
        self.minValue = float("inf")
        for value in values or ():
            self.merge(value)

    def merge(self, value) -> StatCounter:
        """Add one value."""
        delta = value - self.mu
        self.n += 1
        self.mu += delta / self.n
        self.m2 += delta * (value - self.mu)
        maximum, minimum, _ = _numeric_functions()
        self.maxValue = maximum(self.maxValue, value)
        self.minValue = minimum(self.minValue, value)
        return self

    def mergeStats(self, other: StatCounter) -> StatCounter:
        """Add another counter's values (the parallel form of Welford's update)."""
        if not isinstance(other, StatCounter):
            raise TypeError(f"Can only merge StatCounter but got {type(other)}")
        if other is self:
            return self.mergeStats(other.copy())
        if self.n == 0:
            self.n, self.mu, self.m2 = other.n, other.mu, other.m2
            self.maxValue, self.minValue = other.maxValue, other.minValue
        elif other.n != 0:
            delta, total = other.mu - self.mu, self.n + other.n
            # Weighting from the larger side keeps the mean accurate when sizes differ a lot.
            if other.n * 10 < self.n:
                self.mu = self.mu + (delta * other.n) / total
            elif self.n * 10 < other.n:
                self.mu = other.mu - (delta * self.n) / total
            else:
                self.mu = (self.mu * self.n + other.mu * other.n) / total
            maximum, minimum, _ = _numeric_functions()
            self.maxValue = maximum(self.maxValue, other.maxValue)
            self.minValue = minimum(self.minValue, other.minValue)
            self.m2 += other.m2 + (delta * delta * self.n * other.n) / total
            self.n = total
        return self

    def copy(self) -> StatCounter:
        return copy.deepcopy(self)

    def count(self) -> int:
        return int(self.n)

    def mean(self) -> float:
        return self.mu

    def sum(self) -> float:
        return self.n * self.mu

    def min(self):
        return self.minValue

    def max(self):
        return self.maxValue

    def variance(self) -> float:
        return float("nan") if self.n == 0 else self.m2 / self.n

    def sampleVariance(self) -> float:
        """The variance with Bessel's correction (divided by n - 1)."""
        return float("nan") if self.n <= 1 else self.m2 / (self.n - 1)

    def stdev(self) -> float:
        return _numeric_functions()[2](self.variance())

    def sampleStdev(self) -> float:
        return _numeric_functions()[2](self.sampleVariance())

    def asDict(self, sample: bool = False) -> dict:
        """The members as a dict; note that, as in PySpark, ``sample=False`` (the default)
        gives the *sample* stdev and variance, and ``sample=True`` the population ones."""
        return {
            "count": self.count(),
            "mean": self.mean(),
            "sum": self.sum(),
            "min": self.min(),
            "max": self.max(),
            "stdev": self.stdev() if sample else self.sampleStdev(),
            "variance": self.variance() if sample else self.sampleVariance(),
        }

    def __repr__(self) -> str:
        return (
            f"(count: {self.count()}, mean: {self.mean()}, stdev: {self.stdev()}, "
            f"max: {self.max()}, min: {self.min()})"
        )


def _merge_counters(left: StatCounter, right: StatCounter) -> StatCounter:
    return left.mergeStats(right)


def _is_nan(value) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _comparable(value) -> bool:
    return value is not None and not (type(value) is float and math.isnan(value))


def _min_max(left: tuple, right: tuple) -> tuple:
    return min(left[0], right[0]), max(left[1], right[1])


class StatisticsMixin:
    def stats(self: RDD[Any]) -> StatCounter:
        return self.mapPartitions(lambda values: [StatCounter(values)]).reduce(_merge_counters)

    def mean(self: RDD[Any]) -> float:
        return self.stats().mean()

    def variance(self: RDD[Any]) -> float:
        return self.stats().variance()

    def stdev(self: RDD[Any]) -> float:
        return self.stats().stdev()

    def sampleVariance(self: RDD[Any]) -> float:
        return self.stats().sampleVariance()

    def sampleStdev(self: RDD[Any]) -> float:
        return self.stats().sampleStdev()

    def histogram(
        self: RDD[Any], buckets: int | list[Any] | tuple[Any, ...]
    ) -> tuple[Sequence[Any], list[int]]:
        """Counts per bucket: ``buckets`` evenly spaced ones between min and max when an int,
        else the sorted bucket bounds given; every bucket is [low, high) but the last,
        [low, high].  None and NaN records are not counted."""
        bounds: Sequence[Any]
        if isinstance(buckets, int):
            bounds, even, step = self._even_buckets(buckets)
            if step is None:  # one bucket, or every record equal
                return bounds, [self.filter(_comparable).count()]
        elif isinstance(buckets, (list, tuple)):
            bounds, even, step = buckets, *_given_buckets(buckets)
        else:
            raise TypeError("buckets should be a list or tuple or number(int or long)")
        low, high = bounds[0], bounds[-1]

        def count_partition(values):
            counts = [0] * len(bounds)
            for value in values:
                if value is None or _is_nan(value) or value > high or value < low:
                    continue
                counts[int((value - low) / step) if even else bisect.bisect_right(bounds, value) - 1] += 1
            last = counts.pop()  # the last bucket includes its upper bound
            counts[-1] += last
            return [counts]

        return bounds, self.mapPartitions(count_partition).reduce(lambda a, b: [x + y for x, y in zip(a, b)])

    def _even_buckets(self: RDD[Any], count: int) -> tuple[list[Any], bool, float | None]:
        """``count`` even buckets between the records' min and max: (bounds, True, width)."""
        if count < 1:
            raise ValueError("number of buckets must be >= 1")
        low, high = self.filter(_comparable).map(lambda x: (x, x)).reduce(_min_max)
        if low == high or count == 1:
            return [low, high], True, None
        try:
            width = (high - low) / count
        except TypeError:
            raise TypeError("Can not generate buckets with non-number in RDD") from None
        if math.isinf(width):
            raise ValueError("Can not generate buckets with infinite value")
        if int(width) * count == high - low:
            width = int(width)  # integer bounds when they divide evenly
        bounds = [i * width + low for i in range(count)]
        bounds.append(high)  # the exact max, free of accumulated rounding
        return bounds, True, width


def _given_buckets(bounds: Sequence) -> tuple[bool, float | None]:
    """Check explicit bucket bounds; (evenly spaced, width) so even ones need no search."""
    if len(bounds) < 2:
        raise ValueError("buckets should have more than one value")
    if any(b is None or _is_nan(b) for b in bounds):
        raise ValueError("can not have None or NaN in buckets")
    if sorted(bounds) != list(bounds):
        raise ValueError("buckets should be sorted")
    if len(set(bounds)) != len(bounds):
        raise ValueError("buckets should not contain duplicated values")
    try:
        steps = [b - a for a, b in zip(bounds, bounds[1:])]
    except TypeError:  # bounds that cannot be subtracted (strings): searched
        return False, None
    if max(steps) - min(steps) < 1e-10:
        return True, (bounds[-1] - bounds[0]) / (len(bounds) - 1)
    return False, None
