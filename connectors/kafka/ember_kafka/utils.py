"""``KafkaUtils``: PySpark 2.x's Kafka entry points, with its argument names and orders."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ember import StorageLevel
from ember.plugins import batch_time_ms, create_source_stream, send_to_receiver
from ember_kafka.commits import CommitAfterBatch
from ember_kafka.direct import offset_range, read_offsets
from ember_kafka.errors import KafkaConfigError
from ember_kafka.messages import Decoder, KafkaMessageAndMetadata, RecordDecoder, utf8_decoder
from ember_kafka.ranges import Broker, OffsetRange, TopicAndPartition
from ember_kafka.receiver import WRITE_AHEAD_LOG, as_fetched, partition_offsets_after
from ember_kafka.settings import KafkaSettings, parse_kafka_params

if TYPE_CHECKING:
    from ember import RDD, SparkContext
    from ember.streaming import DStream, StreamingContext

#: the source kinds this connector registers (see ``ember_kafka.plugin``)
DIRECT_KIND = "kafka"
RECEIVER_KIND = "kafka-receiver"


def _topic_list(topics: Any, where: str) -> list[str]:
    if isinstance(topics, str) or not topics or not all(isinstance(t, str) for t in topics):
        raise KafkaConfigError(f"{where}: topics must be a non-empty list of topic names, " f"got {topics!r}")
    return list(topics)


def _from_offsets(from_offsets: Mapping[TopicAndPartition, int] | None) -> dict[TopicAndPartition, int]:
    checked: dict[TopicAndPartition, int] = {}
    for key, offset in dict(from_offsets or {}).items():
        if not isinstance(key, TopicAndPartition):
            raise KafkaConfigError(
                "fromOffsets must map TopicAndPartition(topic, partition) to " f"an offset, got key {key!r}"
            )
        checked[key] = int(offset)
    return checked


def bootstrap_from_zk_quorum(zk_quorum: str) -> str:
    """``createStream``'s zkQuorum as bootstrap servers: ``host:port[,host:port][/chroot]``
    with the chroot dropped.  Kafka clients no longer talk to ZooKeeper, so the quorum
    argument names the brokers unless kafkaParams does."""
    return zk_quorum.split("/", 1)[0]


class KafkaUtils:
    """Create Kafka input streams and RDDs (``from ember.streaming.kafka import KafkaUtils``)."""

    @staticmethod
    def createDirectStream(
        ssc: StreamingContext,
        topics: list[str],
        kafkaParams: Mapping[str, Any],
        fromOffsets: Mapping[TopicAndPartition, int] | None = None,
        keyDecoder: Decoder = utf8_decoder,
        valueDecoder: Decoder = utf8_decoder,
        messageHandler: Callable[[KafkaMessageAndMetadata], Any] | None = None,
    ) -> DStream[Any]:
        """A stream reading each batch's new records of ``topics`` as one offset range per
        partition, without a receiver; ``rdd.offsetRanges()`` tells which.  Records are
        ``(key, value)`` decoded by the decoders, or what ``messageHandler`` returns."""
        settings = parse_kafka_params(kafkaParams, where="createDirectStream kafkaParams")
        stream = create_source_stream(
            ssc,
            DIRECT_KIND,
            settings=settings,
            topics=_topic_list(topics, "createDirectStream"),
            from_offsets=_from_offsets(fromOffsets),
            decoder=RecordDecoder(keyDecoder, valueDecoder, messageHandler),
        )
        if settings.commit_offsets:
            ssc.addStreamingListener(CommitAfterBatch(stream.source.commit, "Kafka direct stream"))
        direct: DStream[Any] = stream.transform(_with_offset_ranges)
        return direct

    @staticmethod
    def createStream(
        ssc: StreamingContext,
        zkQuorum: str,
        groupId: str,
        topics: Mapping[str, int],
        kafkaParams: Mapping[str, Any] | None = None,
        storageLevel: StorageLevel = StorageLevel.MEMORY_AND_DISK_2,
        keyDecoder: Decoder = utf8_decoder,
        valueDecoder: Decoder = utf8_decoder,
    ) -> DStream[tuple[Any, Any]]:
        """A receiver stream: a member of consumer group ``groupId`` reading ``topics`` (a dict
        topic -> number of consumer threads, accepted and served by one consumer).  Offsets
        are committed once their batch completed.  ``zkQuorum`` names the Kafka brokers unless
        kafkaParams has ``bootstrap.servers`` (see ``bootstrap_from_zk_quorum``)."""
        if not isinstance(topics, Mapping) or not topics:
            raise KafkaConfigError(f"createStream: topics must be a dict topic -> threads, got {topics!r}")
        params = {"group.id": groupId, **dict(kafkaParams or {})}
        settings = parse_kafka_params(
            params, servers=bootstrap_from_zk_quorum(zkQuorum), where="createStream kafkaParams"
        )
        commit_when_stored = ssc.sparkContext.getConf().get(WRITE_AHEAD_LOG, "false").lower() == "true"
        raw = create_source_stream(
            ssc,
            RECEIVER_KIND,
            settings=settings,
            topics=_topic_list(list(topics), "createStream"),
            storageLevel=storageLevel,
            commit_when_stored=commit_when_stored,
        )
        if not commit_when_stored:
            _commit_after_batches(ssc, raw)
        decoder = RecordDecoder(keyDecoder, valueDecoder)
        decoded: DStream[tuple[Any, Any]] = raw.mapPartitions(lambda rows: decoder(as_fetched(rows)))
        return decoded

    @staticmethod
    def createRDD(
        sc: SparkContext,
        kafkaParams: Mapping[str, Any],
        offsetRanges: list[OffsetRange],
        leaders: Mapping[TopicAndPartition, Broker] | None = None,
        keyDecoder: Decoder = utf8_decoder,
        valueDecoder: Decoder = utf8_decoder,
        messageHandler: Callable[[KafkaMessageAndMetadata], Any] | None = None,
    ) -> RDD[Any]:
        """An RDD of the records in ``offsetRanges``, one partition per range (batch jobs)."""
        extra_brokers = [str(b) for b in dict(leaders or {}).values()]
        params = dict(kafkaParams)
        if extra_brokers and not params.get("bootstrap.servers"):
            params["bootstrap.servers"] = ",".join(
                filter(None, [params.pop("metadata.broker.list", "")] + extra_brokers)
            )
        settings = parse_kafka_params(params, where="createRDD kafkaParams")
        ranges = [(r.topic, r.partition, r.fromOffset, r.untilOffset) for r in offsetRanges]
        decoder = RecordDecoder(keyDecoder, valueDecoder, messageHandler)
        return sc.parallelize(ranges, max(1, len(ranges))).mapPartitions(
            lambda rows: _read_ranges(settings, decoder, rows)
        )


def _with_offset_ranges(rdd: Any) -> Any:
    """The batch's RDD with ``offsetRanges()`` giving PySpark's ``OffsetRange`` objects
    (topic and partition number) rather than ember's generic position ranges."""
    ranges = [offset_range(r) for r in rdd.offsetRanges()]
    batch = rdd.mapPartitions(iter, preservesPartitioning=True)
    batch.offsetRanges = lambda: list(ranges)
    return batch


def _read_ranges(
    settings: KafkaSettings, decoder: RecordDecoder, rows: Iterable[tuple[str, int, int, int]]
) -> Iterator[Any]:
    for topic, partition, start, end in rows:
        yield from decoder(read_offsets(settings, OffsetRange(topic, partition, start, end)))


def _commit_after_batches(ssc: StreamingContext, raw: Any) -> None:
    """Note each batch's offsets with a small output operation; commit them on completion."""
    noted: dict[int, dict[TopicAndPartition, int]] = {}

    def note(time: Any, rdd: RDD[Any]) -> None:
        offsets: dict[TopicAndPartition, int] = {}
        for topic, partition, offset in rdd.mapPartitions(partition_offsets_after).collect():
            key = TopicAndPartition(topic, partition)
            offsets[key] = max(offsets.get(key, 0), offset)
        noted[batch_time_ms(time)] = offsets

    def commit(time_ms: int) -> None:
        offsets = noted.pop(time_ms, None)
        for older in [t for t in noted if t < time_ms]:
            del noted[older]
        if offsets:
            send_to_receiver(raw, offsets)

    raw.foreachRDD(note)
    ssc.addStreamingListener(CommitAfterBatch(commit, "Kafka receiver stream"))
