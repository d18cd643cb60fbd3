"""The shape of checkpoint documents and state files, checked on every load.

A file that passes its checksum may still have been made by hand (the checksum is not a
secret) or by another ember: every field recovery, ``verify`` and ``inspect`` use is checked
here for presence and type before anything reads it, and the first problem is one
``CheckpointInvalidError`` naming the file and the field, so readers fall back to an older
checkpoint instead of failing deep inside with an ``AttributeError``.  Fields this ember does
not know are let through (a later minor change may add some).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ember.checkpoint.errors import CheckpointInvalidError
from ember.checkpoint.framing import FORMAT_VERSION

#: the oldest document format this ember reads (1: no run id, no sequence)
OLDEST_FORMAT = 1
_STATE_FILE = re.compile(r"^state/(\d+)-(\d+)$")

Check = Callable[[Any, str, str], None]


def _fail(where: str, field: str, wanted: str, value: Any) -> None:
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    raise CheckpointInvalidError(
        f"{where}: field '{field}' must be {wanted}, found {type(value).__name__} {shown}"
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def integer(minimum: int | None = None) -> Check:
    def check(value: Any, where: str, field: str) -> None:
        if not _is_int(value) or (minimum is not None and value < minimum):
            _fail(
                where,
                field,
                "a whole number" + (f" of at least {minimum}" if minimum is not None else ""),
                value,
            )

    return check


def text(value: Any, where: str, field: str) -> None:
    if not isinstance(value, str):
        _fail(where, field, "text", value)


def optional(inner: Check) -> Check:
    def check(value: Any, where: str, field: str) -> None:
        if value is not None:
            inner(value, where, field)

    return check


def list_of(item: Check) -> Check:
    def check(value: Any, where: str, field: str) -> None:
        if not isinstance(value, list):
            _fail(where, field, "a list", value)
        for position, element in enumerate(value):
            item(element, where, f"{field}[{position}]")

    return check


def map_of(key: Check, item: Check) -> Check:
    def check(value: Any, where: str, field: str) -> None:
        if not isinstance(value, dict):
            _fail(where, field, "a map", value)
        for name, element in value.items():
            key(name, where, f"{field} key {name!r}")
            item(element, where, f"{field}.{name}")

    return check


def record(required: dict[str, Check], optional_fields: dict[str, Check] | None = None) -> Check:
    def check(value: Any, where: str, field: str) -> None:
        if not isinstance(value, dict):
            _fail(where, field or "the document", "a map", value)
        prefix = f"{field}." if field else ""
        for name, inner in required.items():
            if name not in value:
                raise CheckpointInvalidError(f"{where}: field '{prefix}{name}' is missing")
            inner(value[name], where, prefix + name)
        for name, inner in (optional_fields or {}).items():
            if value.get(name) is not None:
                inner(value[name], where, prefix + name)

    return check


def _state_file(value: Any, where: str, field: str) -> None:
    if not isinstance(value, str) or not _STATE_FILE.match(value):
        _fail(where, field, "a state file name (state/<stream>-<time>)", value)


def _position_range(value: Any, where: str, field: str) -> None:
    if (
        not isinstance(value, list)
        or len(value) != 4
        or not isinstance(value[0], str)
        or not (value[3] is None or _is_int(value[3]))
    ):
        _fail(where, field, "a range [partition, start, end, records]", value)


_GRAPH_ENTRY = record(
    {"kind": text, "slide_ms": integer(1), "parents": list_of(integer(0))},
    {"source": text, "window_ms": integer(1)},
)
_STREAM = record(
    {},
    {
        "state": record(
            {"file": _state_file, "time": integer()}, {"records": integer(0), "bytes": integer(0)}
        ),
        "positions": map_of(integer(), list_of(_position_range)),
        "wal": record({"pending_batches": list_of(integer())}),
    },
)
_DOCUMENT = record(
    {
        "format": integer(OLDEST_FORMAT),
        "time": integer(),
        "batch_ms": integer(1),
        "zero_ms": integer(),
        "last_completed_ms": integer(),
        "pending": list_of(integer()),
        "graph": list_of(_GRAPH_ENTRY),
        "streams": map_of(integer(0), _STREAM),
    },
    {"ember_version": text, "written_ms": integer()},
)
_RUN = record({"run": text, "sequence": integer(0)})


def check_document(document: Any, where: str, time_ms: int) -> dict[str, Any]:
    """``document`` if it is a checkpoint document of the batch at ``time_ms``, else the error."""
    _DOCUMENT(document, where, "")
    if document["format"] > FORMAT_VERSION:
        _fail(where, "format", f"a format this ember reads (up to {FORMAT_VERSION})", document["format"])
    if document["format"] >= 2:
        _RUN(document, where, "")
    if document["time"] != time_ms:
        raise CheckpointInvalidError(
            f"{where}: holds the batch at {document['time']} ms, not the "
            f"{time_ms} ms of its name (renamed or made by hand)"
        )
    streams = len(document["graph"])
    for index, stream in document["streams"].items():
        if index >= streams:
            raise CheckpointInvalidError(
                f"{where}: field 'streams' names stream {index}, but the graph " f"has {streams} streams"
            )
        state = stream.get("state")
        if state and state["file"] != f"state/{index}-{state['time']}":
            _fail(where, f"streams.{index}.state.file", f"state/{index}-{state['time']}", state["file"])
    for position, entry in enumerate(document["graph"]):
        if any(parent >= position for parent in entry["parents"]):
            _fail(where, f"graph[{position}].parents", "earlier streams", entry["parents"])
    return document


def _encoded_records(value: Any, where: str, field: str) -> None:
    """A partition as ``ValueCodec.encode_records`` wrote it: [0, rows] or [1, keys, values]."""
    if isinstance(value, list) and len(value) == 2 and value[0] == 0 and isinstance(value[1], list):
        return
    if (
        isinstance(value, list)
        and len(value) == 3
        and value[0] == 1
        and isinstance(value[1], list)
        and isinstance(value[2], list)
        and len(value[1]) == len(value[2])
    ):
        return
    _fail(where, field, "encoded records ([0, rows] or [1, keys, values] of equal lengths)", value)


_STATE = record({"stream": integer(0), "time": integer(), "partitions": list_of(_encoded_records)})


def check_state(body: Any, where: str, stream: int, time_ms: int) -> dict[str, Any]:
    """``body`` if it is the state file of ``stream`` at ``time_ms``, else the error."""
    _STATE(body, where, "")
    if (body["stream"], body["time"]) != (stream, time_ms):
        raise CheckpointInvalidError(
            f"{where}: holds the state of stream {body['stream']} at {body['time']} ms, "
            f"not stream {stream} at {time_ms} ms as its name says"
        )
    return body


def state_file_parts(name: str) -> tuple[int, int]:
    """(stream, time) of a state file name already checked by ``check_document``."""
    match = _STATE_FILE.match(name)
    assert match is not None, "checked by check_document"
    return int(match.group(1)), int(match.group(2))
