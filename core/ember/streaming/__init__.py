"""ember.streaming: PySpark Streaming's DStream API (``pyspark.streaming``), natively."""
from ember.streaming.clock import ManualClock, SystemClock
from ember.streaming.context import StreamingContext
from ember.streaming.dstream import DStream
from ember.streaming.input import InputDStream
from ember.streaming.listener import BatchInfo, OutputOperationInfo, ReceiverInfo, StreamingListener
from ember.streaming.map_with_state import State, StateSpec

__all__ = ["BatchInfo", "DStream", "InputDStream", "ManualClock", "OutputOperationInfo", "ReceiverInfo",
           "State", "StateSpec", "StreamingContext", "StreamingListener", "SystemClock"]
