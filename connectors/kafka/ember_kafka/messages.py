"""From fetched bytes to the records a stream yields: decoders and the message handler.

As in PySpark, a stream's records are ``(keyDecoder(key), valueDecoder(value))`` pairs unless
the program passes a ``messageHandler``, which receives a ``KafkaMessageAndMetadata`` and
returns whatever record it likes.  Decoding runs inside tasks; a decoder that fails raises a
``DecodeError`` naming the record's topic, partition and offset instead of a bare
``UnicodeDecodeError``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

from ember_kafka.errors import DecodeError

Decoder = Callable[[bytes | None], Any]


def utf8_decoder(s: bytes | None) -> str | None:
    """Decode UTF-8 bytes to str (``None`` stays ``None``: a record without key or value)."""
    if s is None:
        return None
    return s.decode("utf-8")


class FetchedRecord(NamedTuple):
    """A record as a client fetched it, before decoding."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


def _decode(decoder: Decoder, data: bytes | None, what: str, record: FetchedRecord) -> Any:
    try:
        return decoder(data)
    except Exception as error:
        raise DecodeError(what, record.topic, record.partition, record.offset, decoder, error) from error


class KafkaMessageAndMetadata:
    """What a ``messageHandler`` receives: the record's position and its decoded key/message."""

    __slots__ = ("_key_decoder", "_record", "_value_decoder")

    def __init__(self, record: FetchedRecord, key_decoder: Decoder, value_decoder: Decoder):
        self._record = record
        self._key_decoder = key_decoder
        self._value_decoder = value_decoder

    @property
    def topic(self) -> str:
        return self._record.topic

    @property
    def partition(self) -> int:
        return self._record.partition

    @property
    def offset(self) -> int:
        return self._record.offset

    @property
    def key(self) -> Any:
        return _decode(self._key_decoder, self._record.key, "key", self._record)

    @property
    def message(self) -> Any:
        return _decode(self._value_decoder, self._record.value, "value", self._record)

    def __repr__(self) -> str:
        r = self._record
        return (
            f"KafkaMessageAndMetadata(topic: {r.topic}, partition: {r.partition}, "
            f"offset: {r.offset}, key and message...)"
        )


class RecordDecoder:
    """Turns fetched records into the stream's records; picklable, it travels to the tasks."""

    def __init__(
        self,
        key_decoder: Decoder = utf8_decoder,
        value_decoder: Decoder = utf8_decoder,
        message_handler: Callable[[KafkaMessageAndMetadata], Any] | None = None,
    ):
        self.key_decoder = key_decoder
        self.value_decoder = value_decoder
        self.message_handler = message_handler

    def __call__(self, records: Iterable[FetchedRecord]) -> Iterator[Any]:
        key_decoder, value_decoder, handler = self.key_decoder, self.value_decoder, self.message_handler
        if handler is not None:
            for record in records:
                yield handler(KafkaMessageAndMetadata(record, key_decoder, value_decoder))
            return
        if key_decoder is utf8_decoder and value_decoder is utf8_decoder:
            yield from self._utf8_pairs(records)
            return
        for record in records:
            yield (
                _decode(key_decoder, record.key, "key", record),
                _decode(value_decoder, record.value, "value", record),
            )

    @staticmethod
    def _utf8_pairs(records: Iterable[FetchedRecord]) -> Iterator[tuple]:
        """The common case, kept tight: it runs once per record of every batch."""
        for record in records:
            key, value = record.key, record.value
            try:
                yield (
                    None if key is None else key.decode("utf-8"),
                    None if value is None else value.decode("utf-8"),
                )
            except UnicodeDecodeError as error:
                what = "value" if key is None or _decodes(key) else "key"
                raise DecodeError(
                    what, record.topic, record.partition, record.offset, utf8_decoder, error
                ) from error


def _decodes(data: bytes) -> bool:
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False
