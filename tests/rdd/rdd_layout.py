"""Shared inputs and the layout helper of the RDD tests."""

from ember.resultiterable import ResultIterable

PAIRS = [("a", 1), ("b", 2), ("a", 3), ("c", 4), ("d", 5), ("b", 6), ("e", 7)]
OTHER = [("a", "x"), ("c", "y"), ("f", "z"), ("a", "w")]
WORDS = "the quick brown fox jumps over the lazy dog the end fox".split()


def plain(value):
    """``value`` with every ResultIterable turned into a list, so it compares as a literal."""
    if isinstance(value, ResultIterable):
        return [plain(v) for v in value]
    if isinstance(value, tuple):
        return tuple(plain(v) for v in value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def layout(rdd):
    """(number of partitions, each partition's records): what glom() shows, as literals."""
    return rdd.getNumPartitions(), plain(rdd.glom().collect())
