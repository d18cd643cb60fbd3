"""The Kafka connector's errors: each says what went wrong, where, and what to do about it.

All derive from ``KafkaConnectorError`` so a program can catch the connector's failures in one
place; none is raised for a condition the connector recovers from by itself.
"""

from __future__ import annotations


class KafkaConnectorError(Exception):
    """Base of every error the ember Kafka connector raises.

    Errors raised in tasks travel to the driver pickled; ``__reduce__`` rebuilds them from
    their message and attributes, so each keeps its type there (custom ``__init__``
    signatures would otherwise break unpickling).
    """

    def __reduce__(self):
        return _rebuild, (type(self), str(self), self.__dict__)


def _rebuild(cls: type[KafkaConnectorError], message: str, attributes: dict) -> KafkaConnectorError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(attributes)
    return error


class KafkaConfigError(KafkaConnectorError, ValueError):
    """kafkaParams (or an argument of KafkaUtils) is missing something or has a bad value."""


class BrokerUnreachableError(KafkaConnectorError, ConnectionError):
    """No broker answered at the bootstrap servers within the connection timeout."""

    def __init__(self, servers: str, detail: str):
        super().__init__(
            f"No Kafka broker reachable at {servers!r} (kafkaParams 'bootstrap.servers' or "
            f"'metadata.broker.list'): {detail}. Check that the broker is running and that "
            "the address is the one it advertises."
        )
        self.servers = servers


class TopicNotFoundError(KafkaConnectorError, LookupError):
    """A topic the stream reads does not exist on the cluster."""

    def __init__(self, topics: list[str], servers: str):
        names = ", ".join(repr(t) for t in topics)
        super().__init__(
            f"Topic {names} does not exist on the Kafka cluster at {servers!r}; create it "
            "first (ember never creates topics), or fix the name passed to KafkaUtils."
        )
        self.topics = topics


class OffsetOutOfRangeError(KafkaConnectorError):
    """A position the stream must read is no longer (or not yet) in the partition's log.

    Raised instead of skipping: records would otherwise be lost without a trace.  Recover by
    restarting the stream with ``fromOffsets`` inside the range the message gives (or without a
    checkpoint, so ``auto.offset.reset`` chooses).
    """

    def __init__(self, topic: str, partition: int, offset: int, earliest: int, latest: int, why: str):
        super().__init__(
            f"Offset {offset} of {topic}-{partition} is out of range: the broker holds "
            f"[{earliest}, {latest}); {why}. The records cannot be read; restart the stream "
            f"with fromOffsets inside that range to accept the loss (see docs/kafka.md, "
            "'Offsets out of range')."
        )
        self.topic, self.partition, self.offset = topic, partition, offset
        self.earliest, self.latest = earliest, latest


class RangeReadError(KafkaConnectorError):
    """A batch could not read all of one of its offset ranges (broker gone or data deleted)."""


class DecodeError(KafkaConnectorError, ValueError):
    """A key or value could not be decoded; names the record so it can be found and skipped."""

    def __init__(self, what: str, topic: str, partition: int, offset: int, decoder, error: Exception):
        name = getattr(decoder, "__name__", repr(decoder))
        super().__init__(
            f"Could not decode the {what} of the record at {topic}-{partition} offset {offset} "
            f"with {name}: {error}. Pass a decoder that accepts it (for example one that "
            "returns the raw bytes) or start after it with fromOffsets (docs/kafka.md)."
        )
        self.topic, self.partition, self.offset = topic, partition, offset
