"""Which client library serves a stream: chosen by ``KafkaSettings.client``, imported lazily
so that kafka-python alone, or confluent-kafka alone, is enough."""

from __future__ import annotations

import atexit
import threading
from dataclasses import replace

from ember_kafka.clients.base import GroupConsumer, OffsetReader, RecordProducer
from ember_kafka.settings import KafkaSettings

_cached_readers: dict[KafkaSettings, OffsetReader] = {}
_cache_lock = threading.Lock()


def open_reader(settings: KafkaSettings) -> OffsetReader:
    if settings.client == "confluent":
        from ember_kafka.clients.confluent import ConfluentReader

        return ConfluentReader(settings)
    from ember_kafka.clients.kafka_python import KafkaPythonReader

    return KafkaPythonReader(settings)


def open_group_consumer(settings: KafkaSettings, topics: list[str]) -> GroupConsumer:
    if settings.client == "confluent":
        from ember_kafka.clients.confluent import ConfluentGroupConsumer

        return ConfluentGroupConsumer(settings, topics)
    from ember_kafka.clients.kafka_python import KafkaPythonGroupConsumer

    return KafkaPythonGroupConsumer(settings, topics)


def open_producer(settings: KafkaSettings) -> RecordProducer:
    if settings.client == "confluent":
        from ember_kafka.clients.confluent import ConfluentProducer

        return ConfluentProducer(settings)
    from ember_kafka.clients.kafka_python import KafkaPythonProducer

    return KafkaPythonProducer(settings)


def task_reader(settings: KafkaSettings) -> OffsetReader:
    """A reader for a task, reused from an earlier task of this worker process when one is
    free, so that tasks do not reconnect (and refetch metadata) every batch.  A reader serves
    one task at a time: a task takes it out of the cache and ``return_task_reader`` puts it
    back."""
    # a task waits for a broker (one restarting, say) as long as it would wait for records
    patient = replace(settings, connect_timeout_ms=max(settings.connect_timeout_ms, settings.read_timeout_ms))
    with _cache_lock:
        reader = _cached_readers.pop(patient, None)
    return reader if reader is not None else open_reader(patient)


def return_task_reader(reader: OffsetReader) -> None:
    """Give ``reader`` back for the next task of this process (closes a spare)."""
    with _cache_lock:
        spare = _cached_readers.get(reader.settings)
        if spare is None:
            _cached_readers[reader.settings] = reader
            return
    reader.close()


@atexit.register
def close_cached_readers() -> None:
    """Close the readers kept for later tasks of this process (at exit, or when their broker
    goes away: until closed, a reader keeps reconnecting to it)."""
    with _cache_lock:
        readers = list(_cached_readers.values())
        _cached_readers.clear()
    for reader in readers:
        reader.close()


__all__ = [
    "GroupConsumer",
    "OffsetReader",
    "RecordProducer",
    "close_cached_readers",
    "open_group_consumer",
    "open_producer",
    "open_reader",
    "return_task_reader",
    "task_reader",
]
