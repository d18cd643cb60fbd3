"""The SparkContext (and StreamingContext) belong to the driver: a task whose closure holds
one fails before it runs, with PySpark 4.3's error, on every master (every master pickles)."""

import pickle

import pytest

from ember.errors import PySparkRuntimeError
from ember.streaming import StreamingContext

DRIVER_ONLY = (
    "[CONTEXT_ONLY_VALID_ON_DRIVER] It appears that you are attempting to reference "
    "SparkContext from a broadcast variable, action, or transformation. SparkContext can "
    "only be used on the driver, not in code that runs on workers. For more information, "
    "see SPARK-5063."
)


def test_a_closure_holding_the_spark_context_fails_with_pysparks_error(sc):
    with pytest.raises(pickle.PicklingError) as failure:
        sc.parallelize([1]).map(lambda x: sc.appName).collect()
    assert str(failure.value) == f"Could not serialize object: PySparkRuntimeError: {DRIVER_ONLY}"
    assert isinstance(failure.value.__cause__, PySparkRuntimeError)
    assert failure.value.__cause__.getCondition() == "CONTEXT_ONLY_VALID_ON_DRIVER"
    assert sc.parallelize([1, 2]).map(lambda x: x + 1).collect() == [2, 3]  # the context still works


def test_a_closure_holding_the_streaming_context_fails_the_same_way(sc):
    ssc = StreamingContext(sc, 1)
    with pytest.raises(pickle.PicklingError) as failure:
        sc.parallelize([1]).map(lambda x: ssc.sparkContext).collect()
    assert str(failure.value) == f"Could not serialize object: PySparkRuntimeError: {DRIVER_ONLY}"


def test_pickling_either_context_directly_raises_the_error(sc):
    with pytest.raises(PySparkRuntimeError) as failure:
        pickle.dumps(sc)
    assert str(failure.value) == DRIVER_ONLY
    with pytest.raises(PySparkRuntimeError):
        pickle.dumps(StreamingContext(sc, 1))
