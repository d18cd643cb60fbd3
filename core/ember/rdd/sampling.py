"""sample: PySpark's random draws, so a seeded sample picks the same records as PySpark's.

Each partition draws from ``random.Random(seed ^ partition)`` after discarding ten draws;
without replacement a record is kept when its draw is below ``fraction``, with replacement
it is repeated a Poisson(``fraction``)-distributed number of times.  sortByKey samples its
range bounds this way too.
"""

from __future__ import annotations

import math
import random
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from ember._typing import T

if TYPE_CHECKING:
    from ember.rdd.rdd import RDD


def _partition_random(seed: int, split: int) -> random.Random:
    draws = random.Random(seed ^ split)
    for _ in range(10):
        draws.randint(0, 1)
    return draws


def _poisson(draws: random.Random, mean: float) -> int:
    """How many copies of a record, drawn the way PySpark's sampler draws them."""
    if mean < 20.0:
        limit, product, count = math.exp(-mean), draws.random(), 0
        while product > limit:
            count += 1
            product *= draws.random()
        return count
    total, count = draws.expovariate(mean), 0
    while total < 1.0:
        count += 1
        total += draws.expovariate(mean)
    return count


def sampler(withReplacement: bool, fraction: float, seed: int) -> Callable[[int, Iterable], Iterator]:
    """The partition function that samples each partition."""

    def without_replacement(split, iterator):
        draws = _partition_random(seed, split)
        return (record for record in iterator if draws.random() < fraction)

    def with_replacement(split, iterator):
        draws = _partition_random(seed, split)
        for record in iterator:
            for _ in range(_poisson(draws, fraction)):
                yield record

    return with_replacement if withReplacement else without_replacement


class SamplingMixin:
    def sample(self: RDD[T], withReplacement: bool, fraction: float, seed: int | None = None) -> RDD[T]:
        if not fraction >= 0.0:
            raise ValueError(f"Fraction must be nonnegative. (sample got fraction={fraction!r})")
        if seed is None:
            seed = random.randint(0, sys.maxsize)
        return self.mapPartitionsWithIndex(sampler(withReplacement, fraction, seed), True)
