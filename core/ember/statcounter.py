"""``pyspark.statcounter``: StatCounter, what ``rdd.stats()`` returns."""

from ember.rdd.statistics import StatCounter

__all__ = ["StatCounter"]
