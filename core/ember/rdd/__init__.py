"""The batch dataset: the RDD API, its lineage, partitioners and the DAG scheduler."""

from ember.rdd.partitioner import Partitioner
from ember.rdd.rdd import RDD
from ember.resultiterable import ResultIterable

__all__ = ["RDD", "Partitioner", "ResultIterable"]
