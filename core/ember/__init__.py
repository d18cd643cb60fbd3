"""ember: PySpark Streaming's DStream API, natively in Python."""
from ember.accumulators import Accumulator, AccumulatorParam
from ember.broadcast import Broadcast
from ember.conf import SparkConf
from ember.context import SparkContext
from ember.executor.base import TaskContext
from ember.rdd import RDD, Partitioner
from ember.storagelevel import StorageLevel

__version__ = "0.1.0"

__all__ = ["Accumulator", "AccumulatorParam", "Broadcast", "Partitioner", "RDD", "SparkConf",
           "SparkContext", "StorageLevel", "TaskContext", "__version__"]
