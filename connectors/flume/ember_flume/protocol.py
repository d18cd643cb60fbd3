"""Flume's ``AvroSourceProtocol`` (flume.avdl) served with the ``avro`` package's Responder.

A Flume Avro sink calls ``append(event)`` or ``appendBatch(events)``; events are
``{headers: map<string>, body: bytes}`` and each call answers a ``Status`` (OK, FAILED,
UNKNOWN).  The sink retries whatever was not answered OK, so ``OK`` is sent only once the
events are stored.

Avro's Netty transport is stateful: Java clients (Flume's) send the handshake on a
connection's first call only, while the Python ``Requestor`` repeats it on every call.  A
``ConnectionResponder`` serves one connection and accepts both: once a handshake succeeded,
a call that does not start with the client's protocol hash is a call without a handshake.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import avro.io
import avro.protocol
from avro.ipc import SYSTEM_ERROR_SCHEMA, Responder

#: the protocol of flume-ng-sdk's flume.avdl, in Avro's JSON form
AVRO_SOURCE_PROTOCOL = avro.protocol.parse(
    json.dumps(
        {
            "protocol": "AvroSourceProtocol",
            "namespace": "org.apache.flume.source.avro",
            "types": [
                {"type": "enum", "name": "Status", "symbols": ["OK", "FAILED", "UNKNOWN"]},
                {
                    "type": "record",
                    "name": "AvroFlumeEvent",
                    "fields": [
                        {"name": "headers", "type": {"type": "map", "values": "string"}},
                        {"name": "body", "type": "bytes"},
                    ],
                },
            ],
            "messages": {
                "append": {"request": [{"name": "event", "type": "AvroFlumeEvent"}], "response": "Status"},
                "appendBatch": {
                    "request": [{"name": "events", "type": {"type": "array", "items": "AvroFlumeEvent"}}],
                    "response": "Status",
                },
            },
        }
    )
)

_HASH_BYTES = 16
#: what the responder hands on: a list of (headers, body) events -> whether they were stored
StoreEvents = Callable[[list[tuple[dict[str, str], bytes]]], bool]


class MalformedCall(ValueError):
    """A call that is not a valid AvroSourceProtocol request."""


class ConnectionResponder(Responder):
    """Answers the calls of one connection, handing each call's events to ``store_events``."""

    def __init__(self, store_events: StoreEvents):
        super().__init__(AVRO_SOURCE_PROTOCOL)
        self._store_events = store_events
        self._client_hash: bytes | None = None
        self._client_protocol: avro.protocol.Protocol | None = None
        self._malformed: Exception | None = None

    def respond(self, call_request: bytes) -> bytes:
        """The reply to one call; a call that cannot be decoded raises ``MalformedCall``.

        avro's Responder answers such a call with a system error, which avro 1.12 drops (the
        reply holds the handshake only); raising lets the server close the connection instead.
        """
        self._malformed = None
        reply = super().respond(call_request)
        if self._malformed is not None:
            raise MalformedCall(str(self._malformed))
        return reply

    def write_error(self, writers_schema, error_exception, encoder) -> None:
        if writers_schema is SYSTEM_ERROR_SCHEMA:
            self._malformed = error_exception
        super().write_error(writers_schema, error_exception, encoder)

    def process_handshake(self, decoder: avro.io.BinaryDecoder, encoder: avro.io.BinaryEncoder):
        """The client's protocol: from this call's handshake, or the connection's first one."""
        reader = decoder.reader
        start = reader.tell()
        starts_with_handshake = reader.read(_HASH_BYTES) == self._client_hash
        reader.seek(start)
        if self._client_protocol is not None and not starts_with_handshake:
            return self._client_protocol
        client_hash = reader.read(_HASH_BYTES)
        reader.seek(start)
        protocol = super().process_handshake(decoder, encoder)
        if protocol is not None:  # the handshake succeeded: later calls may skip it
            self._client_hash, self._client_protocol = client_hash, protocol
        return protocol

    def invoke(self, local_message, request: dict[str, Any]) -> str:
        events = request["events"] if local_message.name == "appendBatch" else [request["event"]]
        stored = self._store_events([(event["headers"], event["body"]) for event in events])
        return "OK" if stored else "FAILED"
