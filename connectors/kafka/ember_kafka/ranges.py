"""PySpark 2.x's Kafka position types: TopicAndPartition, OffsetRange and Broker.

Same names, constructors and attributes as ``pyspark.streaming.kafka``, so code that builds
``fromOffsets`` or reads ``rdd.offsetRanges()`` ports unchanged.  All are plain values:
comparable, hashable and picklable.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TopicAndPartition:
    """One partition of one topic; the key of ``fromOffsets``."""

    topic: str
    partition: int

    def __str__(self) -> str:
        return f"{self.topic}-{self.partition}"


@dataclass(frozen=True)
class OffsetRange:
    """The records ``[fromOffset, untilOffset)`` of one topic partition."""

    topic: str
    partition: int
    fromOffset: int
    untilOffset: int

    def __post_init__(self) -> None:
        if self.untilOffset < self.fromOffset:
            raise ValueError(
                f"OffsetRange of {self.topic}-{self.partition} ends before it "
                f"starts: [{self.fromOffset}, {self.untilOffset})"
            )

    def topicAndPartition(self) -> TopicAndPartition:
        return TopicAndPartition(self.topic, self.partition)

    def count(self) -> int:
        """How many offsets the range spans (records, unless the topic is compacted)."""
        return self.untilOffset - self.fromOffset

    def __str__(self) -> str:
        return (
            f"OffsetRange(topic: {self.topic}, partition: {self.partition}, "
            f"range: [{self.fromOffset} -> {self.untilOffset}])"
        )


@dataclass(frozen=True)
class Broker:
    """A broker's address (``createRDD``'s ``leaders``); ember asks the cluster for leaders
    itself, so these are accepted for compatibility and used only as extra bootstrap servers."""

    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"
