"""The checkpoint format: round trips, damage, fallback, newer versions and signed pickles."""

from __future__ import annotations

import datetime
import decimal
import logging
import pickle
import struct

import msgpack
import pytest
from checkpoint_documents import document

from ember.checkpoint import (
    CheckpointCorruptError,
    CheckpointSignatureError,
    CheckpointValueError,
    CheckpointVersionError,
    NoCheckpointError,
    PicklePolicy,
    ValueCodec,
)
from ember.checkpoint.directory import checkpoint_name
from ember.checkpoint.framing import FORMAT_VERSION, HEADER_SIZE, frame, unframe
from ember.conf import SparkConf


class Point:
    """A user type msgpack cannot hold."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __eq__(self, other):
        return isinstance(other, Point) and (self.x, self.y) == (other.x, other.y)


def _checkpoint(directory, time_ms, state):
    name = directory.write_state(0, time_ms, state, "test state")
    return directory.write_checkpoint(document(time_ms, {0: {"state": {"file": name, "time": time_ms}}}))


def _damage(directory, name, change):
    path = directory.store.directory + "/" + name
    with open(path, "rb") as handle:
        data = handle.read()
    with open(path, "wb") as handle:
        handle.write(change(data))


def test_values_round_trip_exactly():
    codec = ValueCodec()
    value = {
        "pairs": [("a", 1), (("nested", 2), [3])],
        "set": {1, 2},
        "frozen": frozenset({"x"}),
        "big": 2**100,
        "when": datetime.datetime(2024, 5, 1, 12, 30, 0, 5),
        "day": datetime.date(2024, 5, 1),
        "money": decimal.Decimal("1.10"),
        "raw": b"\x00\xff",
        "text": "héllo",
        "none": None,
        7: 1.5,
    }
    assert codec.decode(codec.encode(value, "test"), "test") == value
    decoded = codec.decode(codec.encode(value, "test"), "test")
    assert type(decoded["pairs"][1][0]) is tuple and type(decoded["raw"]) is bytes


def test_pair_records_are_stored_as_columns_and_come_back_as_tuples():
    codec = ValueCodec()
    records = [("k", 1), ("j", (2, 3))]
    encoded = codec.encode_records(records, "test")
    assert encoded[0] == 1 and encoded[1] == ["k", "j"]
    assert codec.decode_records(codec.decode(codec.encode(encoded, "t"), "t")) == records
    mixed = [("k", 1), ["j", 2], 3]
    assert (
        codec.decode_records(codec.decode(codec.encode(codec.encode_records(mixed, "t"), "t"), "t")) == mixed
    )


def test_written_checkpoint_reads_back(checkpoints):
    _checkpoint(checkpoints, 1000, [[("a", 1), ("b", 2)], [("c", {3})]])
    loaded = checkpoints.load_latest()
    assert loaded.time_ms == 1000 and loaded.skipped == []
    assert loaded.states == {0: [[("a", 1), ("b", 2)], [("c", {3})]]}


def test_only_the_last_few_checkpoints_and_their_state_are_kept(checkpoints):
    for time_ms in range(1000, 7000, 1000):
        _checkpoint(checkpoints, time_ms, [[("t", time_ms)]])
    assert checkpoints.checkpoint_times() == [4000, 5000, 6000]
    assert sorted(checkpoints.store.list("state/")) == ["state/0-4000", "state/0-5000", "state/0-6000"]


def test_no_temporary_files_are_left(checkpoints):
    _checkpoint(checkpoints, 1000, [[("a", 1)]])
    assert sorted(checkpoints.store.list()) == ["checkpoint-1000", "run", "state/0-1000"]


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda data: data[: len(data) // 2], "truncated"),
        (lambda data: data[: HEADER_SIZE - 3], "truncated"),
        (lambda data: data[:-1] + bytes([data[-1] ^ 0x40]), "checksum mismatch"),
        (lambda data: b"GARBAGE!" + data[8:], "not an ember checkpoint"),
        (lambda data: b"", "truncated"),
    ],
)
def test_damaged_latest_checkpoint_falls_back_with_a_warning(checkpoints, caplog, damage, message):
    _checkpoint(checkpoints, 1000, [[("a", 1)]])
    _checkpoint(checkpoints, 2000, [[("a", 2)]])
    _damage(checkpoints, checkpoint_name(2000), damage)
    with caplog.at_level(logging.WARNING, logger="ember.checkpoint"):
        loaded = checkpoints.load_latest()
    assert loaded.time_ms == 1000 and loaded.states[0] == [[("a", 1)]]
    assert message in caplog.text and "checkpoint-2000" in caplog.text
    assert len(loaded.skipped) == 1 and message in loaded.skipped[0]


def test_damaged_state_file_falls_back_to_the_checkpoint_before(checkpoints, caplog):
    _checkpoint(checkpoints, 1000, [[("a", 1)]])
    _checkpoint(checkpoints, 2000, [[("a", 2)]])
    _damage(checkpoints, "state/0-2000", lambda data: data[: len(data) - 5])
    with caplog.at_level(logging.WARNING, logger="ember.checkpoint"):
        assert checkpoints.load_latest().time_ms == 1000
    assert "state/0-2000" in caplog.text


def test_every_checkpoint_damaged_is_an_error_naming_each(checkpoints):
    _checkpoint(checkpoints, 1000, [[("a", 1)]])
    _checkpoint(checkpoints, 2000, [[("a", 2)]])
    for time_ms in (1000, 2000):
        _damage(checkpoints, checkpoint_name(time_ms), lambda data: data[:20])
    with pytest.raises(CheckpointCorruptError, match="every checkpoint is damaged") as caught:
        checkpoints.load_latest()
    assert "checkpoint-1000" in str(caught.value) and "checkpoint-2000" in str(caught.value)


def test_an_empty_location_has_no_checkpoint(checkpoints):
    with pytest.raises(NoCheckpointError, match="no checkpoint found"):
        checkpoints.load_latest()


def _as_version(data: bytes, version: int) -> bytes:
    return data[:8] + struct.pack(">H", version) + data[10:]


def test_a_newer_format_is_refused_not_skipped(checkpoints):
    _checkpoint(checkpoints, 1000, [[("a", 1)]])
    _checkpoint(checkpoints, 2000, [[("a", 2)]])
    _damage(checkpoints, checkpoint_name(2000), lambda data: _as_version(data, FORMAT_VERSION + 1))
    with pytest.raises(CheckpointVersionError) as caught:
        checkpoints.load_latest()
    message = str(caught.value)
    assert f"format version {FORMAT_VERSION + 1}" in message and "newer ember" in message
    assert "checkpoint-2000" in message and "Upgrade ember" in message


def test_framing_detects_a_changed_version_field_even_when_older():
    data = frame(b"payload")
    assert unframe(data, "f") == b"payload"
    with pytest.raises(CheckpointCorruptError, match="checksum"):
        unframe(_as_version(data, 0), "f")


def test_user_objects_are_refused_without_the_opt_in(checkpoints):
    with pytest.raises(CheckpointValueError) as caught:
        checkpoints.write_state(3, 1000, [[("a", Point(1, 2))]], "state of updateStateByKey stream #3")
    message = str(caught.value)
    assert (
        "stream #3" in message and "Point" in message and "spark.ember.checkpoint.allowPickle=true" in message
    )
    assert checkpoints.store.list() == []


def _pickling_codec(key: str) -> ValueCodec:
    conf = SparkConf(loadDefaults=False).set("spark.ember.checkpoint.allowPickle", "true")
    return ValueCodec(PicklePolicy.from_conf(conf.set("spark.ember.checkpoint.pickleKey", key)))


def test_opting_in_without_a_key_is_an_error():
    conf = SparkConf(loadDefaults=False).set("spark.ember.checkpoint.allowPickle", "true")
    with pytest.raises(CheckpointValueError, match="spark.ember.checkpoint.pickleKey"):
        PicklePolicy.from_conf(conf)


def test_signed_pickles_round_trip_with_the_key(checkpoints):
    checkpoints.codec = _pickling_codec("secret-1")
    _checkpoint(checkpoints, 1000, [[("a", Point(1, 2))]])
    assert checkpoints.load_latest().states[0] == [[("a", Point(1, 2))]]


class _CreatesFile:
    """A pickle that, if ever loaded, creates a file: proof that code ran."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (str(self.path), "w"))


def test_a_tampered_pickle_is_refused_and_never_loaded(checkpoints, tmp_path):
    checkpoints.codec = _pickling_codec("secret-1")
    _checkpoint(checkpoints, 1000, [[("a", Point(1, 2))]])
    keep_ext = lambda code, data: msgpack.ExtType(code, data)  # noqa: E731 - decode nothing
    body = msgpack.unpackb(
        unframe(checkpoints.store.read("state/0-1000"), "s"), ext_hook=keep_ext, strict_map_key=False
    )
    values = body["partitions"][0][2]
    signed = values[0]
    marker = tmp_path / "code-ran"
    values[0] = msgpack.ExtType(signed.code, signed.data[:32] + pickle.dumps(_CreatesFile(marker)))
    checkpoints.store.write("state/0-1000", frame(msgpack.packb(body)))  # a valid checksum
    with pytest.raises(CheckpointSignatureError, match="signature does not verify"):
        checkpoints.load_latest()
    assert not marker.exists()


def test_a_pickle_signed_with_another_key_is_refused(checkpoints):
    checkpoints.codec = _pickling_codec("secret-1")
    _checkpoint(checkpoints, 1000, [[("a", Point(1, 2))]])
    checkpoints.codec = _pickling_codec("another-key")
    with pytest.raises(CheckpointSignatureError, match="tampered with or written with another key"):
        checkpoints.load_latest()


def test_pickles_without_a_configured_key_are_refused(checkpoints):
    checkpoints.codec = _pickling_codec("secret-1")
    _checkpoint(checkpoints, 1000, [[("a", Point(1, 2))]])
    checkpoints.codec = ValueCodec()
    with pytest.raises(CheckpointSignatureError, match="no spark.ember.checkpoint.pickleKey is configured"):
        checkpoints.load_latest()
