"""ember.streaming: PySpark Streaming's DStream API (``pyspark.streaming``), natively."""

from ember.streaming.clock import ManualClock, SystemClock
from ember.streaming.context import StreamingContext
from ember.streaming.dstream import DStream
from ember.streaming.input import InputDStream
from ember.streaming.listener import BatchInfo, OutputOperationInfo, ReceiverInfo, StreamingListener
from ember.streaming.map_with_state import State, StateSpec
from ember.streaming.status import (
    ExecutorStatus,
    SourceStatus,
    StateStatus,
    batch_interval_ms,
    executor_status,
    source_status,
    state_status,
)

__all__ = [
    "BatchInfo",
    "DStream",
    "ExecutorStatus",
    "InputDStream",
    "ManualClock",
    "OutputOperationInfo",
    "ReceiverInfo",
    "SourceStatus",
    "State",
    "StateSpec",
    "StateStatus",
    "StreamingContext",
    "StreamingListener",
    "SystemClock",
    "batch_interval_ms",
    "executor_status",
    "source_status",
    "state_status",
]
