"""``from ember.resultiterable import ResultIterable``, as ``pyspark.resultiterable`` offers it."""
from ember.rdd.resultiterable import ResultIterable

__all__ = ["ResultIterable"]
