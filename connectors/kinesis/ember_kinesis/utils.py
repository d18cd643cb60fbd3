"""``KinesisUtils``: PySpark's Kinesis entry point, with its argument names and order."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ember import StorageLevel
from ember.plugins import create_source_stream
from ember_kinesis.client import KinesisAccess
from ember_kinesis.positions import AtTimestamp, checked_position

if TYPE_CHECKING:
    from ember.streaming import DStream, StreamingContext

#: the source kind this connector registers (see ``ember_kinesis.plugin``)
SOURCE_KIND = "kinesis"


def utf8_decoder(s: bytes | None) -> str | None:
    """PySpark's default decoder: UTF-8 text (``None`` stays ``None``)."""
    return None if s is None else s.decode("utf-8")


class MetricsLevel:
    """PySpark 3's KCL CloudWatch metrics levels: accepted, without effect (there is no KCL)."""

    DETAILED = 0
    SUMMARY = 1
    NONE = 2


class KinesisUtils:
    """Create Kinesis input streams (``from ember.streaming.kinesis import KinesisUtils``)."""

    @staticmethod
    def createStream(
        ssc: StreamingContext,
        kinesisAppName: str,
        streamName: str,
        endpointUrl: str,
        regionName: str,
        initialPositionInStream: int | AtTimestamp,
        checkpointInterval: float,
        metricsLevel: int = MetricsLevel.DETAILED,
        storageLevel: StorageLevel = StorageLevel.MEMORY_AND_DISK_2,
        awsAccessKeyId: str | None = None,
        awsSecretKey: str | None = None,
        decoder: Callable[[bytes], Any] = utf8_decoder,
        stsAssumeRoleArn: str | None = None,
        stsSessionName: str | None = None,
        stsExternalId: str | None = None,
    ) -> DStream[Any]:
        """A stream of ``decoder(data)`` for every record of ``streamName``, each shard read from
        ``initialPositionInStream`` on and, after a restart, from ember's checkpoint.

        Spark keeps shard positions in the KCL's DynamoDB table named ``kinesisAppName`` every
        ``checkpointInterval``; ember keeps them per batch in its own checkpoints, so both are
        accepted for compatibility and otherwise unused, as are ``storageLevel`` (no receiver)
        and ``metricsLevel``.  KPL-aggregated records come out one user record each.
        """
        for name, value in (
            ("kinesisAppName", kinesisAppName),
            ("streamName", streamName),
            ("regionName", regionName),
        ):
            if not isinstance(value, str) or not value:
                raise ValueError(
                    f"KinesisUtils.createStream: {name} must be a non-empty string, got {value!r}"
                )
        if (awsAccessKeyId is None) != (awsSecretKey is None):
            raise ValueError(
                "KinesisUtils.createStream: give both awsAccessKeyId and awsSecretKey, or "
                "neither (to use boto3's credential chain)"
            )
        if (
            isinstance(checkpointInterval, bool)
            or not isinstance(checkpointInterval, (int, float))
            or checkpointInterval <= 0
        ):
            raise ValueError(
                f"KinesisUtils.createStream: checkpointInterval must be a positive number of "
                f"seconds, got {checkpointInterval!r}"
            )
        access = KinesisAccess(
            streamName,
            endpointUrl or None,
            regionName,
            awsAccessKeyId,
            awsSecretKey,
            stsAssumeRoleArn,
            stsSessionName,
            stsExternalId,
        )
        stream: DStream[Any] = create_source_stream(
            ssc,
            SOURCE_KIND,
            access=access,
            initial=checked_position(initialPositionInStream),
            decoder=decoder,
        )
        return stream
