"""The receiver stream: a consumer-group member that pushes records into ember (PySpark's
``KafkaUtils.createStream``), committing offsets only once the records are safe.

The receiver stores each poll's records as one block, raw (topic, partition, offset, key,
value), so that ember knows which offsets each batch holds: a small output operation notes
the highest offset per partition of every batch, and when the batch has completed without a
failed output, the receiver commits the offset after it.  A crash before that re-delivers the
records (at-least-once), never loses them.  With the write-ahead log on
(``spark.streaming.receiver.writeAheadLog.enable``) a stored block is already durable, so
the receiver commits as soon as ``storeBlock`` returns, as Spark's reliable receiver does.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from ember.plugins import Receiver, ReceiverStoppedError, StorageLevel
from ember_kafka.clients import open_group_consumer
from ember_kafka.clients.base import Offsets
from ember_kafka.errors import BrokerUnreachableError
from ember_kafka.messages import FetchedRecord
from ember_kafka.ranges import TopicAndPartition
from ember_kafka.settings import KafkaSettings

WRITE_AHEAD_LOG = "spark.streaming.receiver.writeAheadLog.enable"
_POLL_RECORDS = 10_000


class KafkaReceiver(Receiver):
    """Polls a consumer group on its own thread; commits what it is told is processed."""

    def __init__(
        self,
        settings: KafkaSettings,
        topics: list[str],
        storageLevel: StorageLevel = StorageLevel.MEMORY_AND_DISK_2,
        commit_when_stored: bool = False,
    ):
        super().__init__(storageLevel)
        self.settings = settings
        self.topics = topics
        self.commit_when_stored = commit_when_stored
        self._to_commit: queue.SimpleQueue[Offsets] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def name(self) -> str:
        return f"KafkaReceiver({','.join(self.topics)} as {self.settings.group_id})"

    def onStart(self) -> None:
        self._thread = threading.Thread(target=self._receive, daemon=True, name=self.name())
        self._thread.start()

    def onStop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=30)

    def onDriverMessage(self, offsets: Offsets) -> None:
        """The driver's offsets of a completed batch: the receiving thread (the consumer's
        only user) commits them between its polls."""
        self._to_commit.put(offsets)

    def _receive(self) -> None:
        try:
            consumer = open_group_consumer(self.settings, self.topics)
        except BrokerUnreachableError as error:
            self.restart("cannot reach the Kafka brokers", error)
            return
        try:
            while not self.isStopped():
                self._commit_pending(consumer)
                records = consumer.poll(0.2, _POLL_RECORDS)
                if records:
                    rows = [(r.topic, r.partition, r.offset, r.key, r.value) for r in records]
                    self.storeBlock(rows)
                    if self.commit_when_stored:
                        consumer.commit(offsets_after(rows))
        except ReceiverStoppedError:
            return  # the stream stopped: the block was not stored, so nothing is committed
        except BrokerUnreachableError as error:
            self.restart("lost the Kafka brokers", error)
        except Exception as error:  # noqa: BLE001 - reported; the supervisor restarts us
            self.restart(f"Kafka receiver failed: {error}", error)
        finally:
            consumer.close()

    def _commit_pending(self, consumer) -> None:
        while True:
            try:
                offsets = self._to_commit.get_nowait()
            except queue.Empty:
                return
            consumer.commit(offsets)


def offsets_after(rows: Iterable[Any]) -> Offsets:
    """For each partition in ``rows`` (topic, partition, offset, key, value), the offset
    after its last."""
    ends: Offsets = {}
    for topic, partition, offset, *_ in rows:
        key = TopicAndPartition(topic, partition)
        if offset + 1 > ends.get(key, -1):
            ends[key] = offset + 1
    return ends


def partition_offsets_after(rows: Iterator[Any]) -> Iterator[tuple[str, int, int]]:
    """``offsets_after`` as plain rows, for a task to return to the driver."""
    return iter([(p.topic, p.partition, o) for p, o in offsets_after(rows).items()])


def as_fetched(rows: Iterable[Any]) -> Iterator[FetchedRecord]:
    """Stored rows (tuples, or lists after serialization) back as ``FetchedRecord``."""
    return (FetchedRecord(*row) for row in rows)
