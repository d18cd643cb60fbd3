"""ember.streaming: PySpark Streaming's DStream API (``pyspark.streaming``), natively."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ember._lazy import lazy_exports

if TYPE_CHECKING:
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

#: the module each public name lives in, loaded on the name's first use
_HOMES = {
    "BatchInfo": "ember.streaming.listener",
    "DStream": "ember.streaming.dstream",
    "ExecutorStatus": "ember.streaming.status",
    "InputDStream": "ember.streaming.input",
    "ManualClock": "ember.streaming.clock",
    "OutputOperationInfo": "ember.streaming.listener",
    "ReceiverInfo": "ember.streaming.listener",
    "SourceStatus": "ember.streaming.status",
    "State": "ember.streaming.map_with_state",
    "StateSpec": "ember.streaming.map_with_state",
    "StateStatus": "ember.streaming.status",
    "StreamingContext": "ember.streaming.context",
    "StreamingListener": "ember.streaming.listener",
    "SystemClock": "ember.streaming.clock",
    "batch_interval_ms": "ember.streaming.status",
    "executor_status": "ember.streaming.status",
    "source_status": "ember.streaming.status",
    "state_status": "ember.streaming.status",
}
__getattr__, __dir__ = lazy_exports(__name__, _HOMES)
