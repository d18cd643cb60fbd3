"""ember-kinesis: PySpark's Kinesis stream for ember (``from ember.streaming.kinesis import
KinesisUtils, InitialPositionInStream`` once installed).  See docs/connectors.md."""

from ember_kinesis.client import (
    KinesisCredentialsError,
    KinesisError,
    KinesisStreamNotFound,
    KinesisUnreachable,
    Throttled,
)
from ember_kinesis.positions import AtTimestamp, InitialPositionInStream
from ember_kinesis.utils import KinesisUtils, MetricsLevel, utf8_decoder

__all__ = [
    "AtTimestamp",
    "InitialPositionInStream",
    "KinesisCredentialsError",
    "KinesisError",
    "KinesisStreamNotFound",
    "KinesisUnreachable",
    "KinesisUtils",
    "MetricsLevel",
    "Throttled",
    "utf8_decoder",
]
