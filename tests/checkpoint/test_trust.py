"""Checkpoints that cannot be confused or forged into doing harm: another run's checkpoint, a
batch time other than the name's, bodies of the wrong shape, zstd bombs and keyed HMACs.
Each crafted file passes the (unkeyed) checksum, as a hand-made file would."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import textwrap

import pytest
import zstandard
from checkpoint_documents import document
from test_recovery import _run, _totals_job

from ember.checkpoint import CheckpointDirectory, CheckpointSignatureError, ValueCodec, open_store
from ember.checkpoint.framing import _PREFIX, HEADER_SIZE, frame


def _ember(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ember", "checkpoint", *args], capture_output=True, text=True, timeout=120
    )


def _write(directory: CheckpointDirectory, name: str, data: bytes) -> None:
    with open(os.path.join(directory.store.directory, name), "wb") as handle:
        handle.write(data)


def _two_checkpoints(directory: CheckpointDirectory) -> None:
    for time_ms in (1000, 2000):
        name = directory.write_state(0, time_ms, [[("a", time_ms)]], "state")
        directory.write_checkpoint(document(time_ms, {0: {"state": {"file": name, "time": time_ms}}}))


def test_a_checkpoint_of_another_run_of_the_same_job_is_refused_and_state_goes_on(tmp_path, caplog):
    ours, theirs = str(tmp_path / "ours"), str(tmp_path / "theirs")
    first, second, other = [], [], []
    _run(ours, _totals_job(0, [["a"], ["a"], ["a"]], first), 3)
    assert first[-1] == [("a", 3)]
    # another run of the same program, elsewhere, later, before its first state file
    _run(theirs, _totals_job(60_000, [["x"]], other, batch_seconds=1), 1)
    shutil.copy(os.path.join(theirs, "checkpoint-61000"), os.path.join(ours, "checkpoint-61000"))

    with caplog.at_level(logging.WARNING, logger="ember.checkpoint"):
        _run(ours, _totals_job(3000, [["a"]], second), 1)
    assert (
        "checkpoint-61000: was written by run" in caplog.text and "not by this directory's run" in caplog.text
    )
    assert second == [[("a", 4)]]  # not reset to 1


def test_a_batch_time_other_than_the_name_is_refused(checkpoints, caplog):
    _two_checkpoints(checkpoints)
    shutil.copy(
        os.path.join(checkpoints.store.directory, "checkpoint-2000"),
        os.path.join(checkpoints.store.directory, "checkpoint-9000"),
    )
    with caplog.at_level(logging.WARNING, logger="ember.checkpoint"):
        assert checkpoints.load_latest().time_ms == 2000
    assert "checkpoint-9000: holds the batch at 2000 ms, not the 9000 ms of its name" in caplog.text


def test_an_older_checkpoint_of_the_run_edited_to_look_newer_is_refused(checkpoints, caplog):
    _two_checkpoints(checkpoints)
    older = checkpoints.read_file("checkpoint-1000")
    older["time"] = older["last_completed_ms"] = 3000
    _write(checkpoints, "checkpoint-3000", frame(checkpoints.codec.encode(older, "test")))
    with caplog.at_level(logging.WARNING, logger="ember.checkpoint"):
        assert checkpoints.load_latest().time_ms == 2000
    assert "sequence number 1 does not follow the 2 of checkpoint-2000" in caplog.text


def test_after_falling_back_the_run_goes_on_past_the_skipped_checkpoint(checkpoints):
    _two_checkpoints(checkpoints)
    os.remove(os.path.join(checkpoints.store.directory, "state/0-2000"))
    recovered = checkpoints.load_latest()
    assert recovered.time_ms == 1000
    checkpoints.begin_run(recovered)
    checkpoints.write_checkpoint(document(3000))
    assert checkpoints.load_latest().time_ms == 3000


def _edited(body, change):
    change(body)
    return body


WRONG_SHAPES = [
    (lambda d: [1, 2, 3], "field 'the document' must be a map"),
    (lambda d: _edited(d, lambda b: b.pop("graph")), "field 'graph' is missing"),
    (lambda d: _edited(d, lambda b: b.update(graph="x")), "field 'graph' must be a list"),
    (lambda d: _edited(d, lambda b: b.update(batch_ms="1000")), "field 'batch_ms' must be a whole number"),
    (
        lambda d: _edited(d, lambda b: b.update(streams={"0": {}})),
        "field 'streams key '0'' must be a whole number",
    ),
    (
        lambda d: _edited(d, lambda b: b.update(streams={7: {}})),
        "field 'streams' names stream 7, but the graph has 1 streams",
    ),
    (
        lambda d: _edited(d, lambda b: b["streams"][0]["state"].update(file="../../etc/passwd")),
        "field 'streams.0.state.file' must be a state file name",
    ),
    (
        lambda d: _edited(d, lambda b: b["streams"][0].update(positions={2000: "x"})),
        "field 'streams.0.positions.2000' must be a list",
    ),
    (
        lambda d: _edited(d, lambda b: b["streams"][0].update(positions={2000: [["f", 0]]})),
        "field 'streams.0.positions.2000[0]' must be a range [partition, start, end, records]",
    ),
    (lambda d: _edited(d, lambda b: b.update(run=5)), "field 'run' must be text"),
]


@pytest.mark.parametrize("craft, message", WRONG_SHAPES)
def test_a_body_of_the_wrong_shape_is_one_clear_error_then_a_fallback(checkpoints, caplog, craft, message):
    _two_checkpoints(checkpoints)
    crafted = craft(checkpoints.read_file("checkpoint-2000"))
    _write(checkpoints, "checkpoint-2000", frame(checkpoints.codec.encode(crafted, "test")))
    with caplog.at_level(logging.WARNING, logger="ember.checkpoint"):
        assert checkpoints.load_latest().time_ms == 1000
    assert "checkpoint-2000: " + message in caplog.text

    location = checkpoints.store.directory
    verify, inspect = _ember("verify", location), _ember("inspect", location)
    for result in (verify, inspect):
        assert "Traceback" not in result.stderr and "Error:" not in result.stdout
    assert verify.returncode == 1 and message in verify.stdout
    assert "recovery would fall back to checkpoint-1000" in verify.stdout
    assert inspect.returncode == 0 and "checkpoint-2000  format 2  UNREADABLE" in inspect.stdout
    assert message in inspect.stdout and "Newest readable checkpoint: batch 1000" in inspect.stdout


def test_a_state_file_of_the_wrong_shape_falls_back(checkpoints, caplog):
    _two_checkpoints(checkpoints)
    _write(
        checkpoints,
        "state/0-2000",
        frame(checkpoints.codec.encode({"stream": 0, "time": 2000, "partitions": [[1, ["a"], []]]}, "test")),
    )
    with caplog.at_level(logging.WARNING, logger="ember.checkpoint"):
        assert checkpoints.load_latest().time_ms == 1000
    assert "state/0-2000: field 'partitions[0]' must be encoded records" in caplog.text


# -- decompression bombs ---------------------------------------------------------------------
def _framed(body: bytes) -> bytes:
    """``body`` (already compressed) under a valid header and checksum, as a forger would."""
    from ember.checkpoint.framing import _digest

    prefix = _PREFIX.pack(b"EMBERCKP", 2, 1, 0, len(body))
    return prefix + _digest(prefix, body, None) + body


def _zeros_frame(size: int, declare: bool) -> bytes:
    """A small zstd frame that expands to ``size`` zero bytes, declaring it or not."""
    compressor = zstandard.ZstdCompressor(level=1)
    chunk = bytes(1 << 20)
    parts = []
    writer = compressor.chunker(size=size if declare else -1, chunk_size=1 << 16)
    for _ in range(size // len(chunk)):
        parts += writer.compress(chunk)
    parts += writer.finish()
    return b"".join(parts)


def _declaring(size: int) -> bytes:
    """A zstd frame header declaring ``size`` bytes, then one empty last block."""
    return bytes.fromhex("28b52ffd") + bytes([0xC0, 0x00]) + size.to_bytes(8, "little") + b"\x01\x00\x00"


BOMBS = {
    "declares 1 TiB": (
        lambda: _declaring(1 << 40),
        "declares 1099511627776 bytes decompressed, over the limit",
    ),
    "expands to 1 GiB, declaring nothing": (
        lambda: _zeros_frame(1 << 30, declare=False),
        "does not declare its decompressed size",
    ),
    "declares 1 GiB": (lambda: _zeros_frame(1 << 30, declare=True), "declares 1073741824 bytes"),
    "declares 1000 bytes, expands to 1 GiB": (
        lambda: _zeros_frame(1 << 30, declare=True).replace(
            (1 << 30).to_bytes(4, "little"), (1000).to_bytes(4, "little"), 1
        ),
        "body does not decompress",
    ),  # zstd itself stops at the size a frame declares
}

_MEASURE = textwrap.dedent("""
    import resource, sys
    from ember.checkpoint.commands import checkpoint_command
    code = checkpoint_command(["verify", sys.argv[1]])
    print("maxrss_kb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "exit", code)
""")


@pytest.mark.parametrize("bomb", list(BOMBS))
def test_a_zstd_bomb_is_refused_without_allocating(checkpoints, bomb):
    make, message = BOMBS[bomb]
    _two_checkpoints(checkpoints)
    body = make()
    assert len(body) < 64 << 10
    _write(checkpoints, "checkpoint-2000", _framed(body))
    _write(checkpoints, "state/0-1000", _framed(body))
    with pytest.raises(Exception, match="every checkpoint is damaged or refused") as caught:
        checkpoints.load_latest()
    assert message in str(caught.value)

    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, checkpoints.store.directory],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in done.stderr and message in done.stdout
    words = done.stdout.split()
    assert words[-1] == "1" and int(words[words.index("maxrss_kb") + 1]) < 200 * 1024


def test_a_state_file_larger_than_its_checkpoint_recorded_is_refused(checkpoints, caplog):
    _two_checkpoints(checkpoints)
    name, size = checkpoints.write_state_sized(0, 3000, [[("a", 3000)]], "state")
    checkpoints.write_checkpoint(document(3000, {0: {"state": {"file": name, "time": 3000, "bytes": size}}}))
    bigger = checkpoints.codec.encode({"stream": 0, "time": 3000, "partitions": [[0, ["x" * 1000]]]}, "test")
    _write(checkpoints, name, frame(bigger))
    with caplog.at_level(logging.WARNING, logger="ember.checkpoint"):
        assert checkpoints.load_latest().time_ms == 2000
    assert (
        f"state/0-3000: body declares {len(bigger)} bytes decompressed, over the limit of {size}"
        in caplog.text
    )


# -- the key ---------------------------------------------------------------------------------
def _keyed(location: str, key: bytes | None) -> CheckpointDirectory:
    return CheckpointDirectory(open_store(location), ValueCodec(), keep=3, key=key)


def test_with_a_key_every_file_is_authenticated(tmp_path):
    location = str(tmp_path / "keyed")
    _two_checkpoints(_keyed(location, b"secret"))
    assert _keyed(location, b"secret").load_latest().states == {0: [[("a", 2000)]]}
    with pytest.raises(CheckpointSignatureError, match="no spark.ember.checkpoint.key .* is configured"):
        _keyed(location, None).load_latest()
    with pytest.raises(CheckpointSignatureError, match="HMAC does not verify"):
        _keyed(location, b"another").load_latest()


def test_a_forged_file_is_refused_under_a_key_even_with_a_valid_checksum(tmp_path):
    location = str(tmp_path / "keyed")
    directory = _keyed(location, b"secret")
    _two_checkpoints(directory)
    forged = directory.read_file("checkpoint-2000")
    _write(directory, "checkpoint-2000", frame(directory.codec.encode(forged, "test")))  # checksum, no key
    with pytest.raises(CheckpointSignatureError, match="checkpoint-2000: is not authenticated"):
        directory.load_latest()
    data = open(os.path.join(location, "checkpoint-2000"), "rb").read()
    flipped = data[:HEADER_SIZE] + bytes([data[HEADER_SIZE] ^ 1]) + data[HEADER_SIZE + 1 :]
    _write(directory, "checkpoint-2000", flipped[:10] + b"\x00\x03" + flipped[12:])  # claims a MAC
    with pytest.raises(CheckpointSignatureError, match="checkpoint-2000: its HMAC does not verify"):
        directory.load_latest()


def test_verify_without_the_key_says_what_it_could_not_check(tmp_path):
    location = str(tmp_path / "keyed")
    _two_checkpoints(_keyed(location, b"secret"))
    without = _ember("verify", location)
    assert without.returncode == 1, without.stdout
    assert (
        "UNCHECKED checkpoint-2000" in without.stdout
        and "its HMAC (and so its integrity) was not checked" in without.stdout
    )
    assert "NOT verified" in without.stdout and "all 2 checkpoints verify" not in without.stdout
    with_key = _ember("verify", location, "--conf", "spark.ember.checkpoint.key=secret")
    assert with_key.returncode == 0 and "all 2 checkpoints verify" in with_key.stdout
    wrong = _ember("verify", location, "--conf", "spark.ember.checkpoint.key=wrong")
    assert wrong.returncode == 1 and "REFUSED" in wrong.stdout and "Traceback" not in wrong.stderr


def test_verify_without_the_pickle_key_does_not_say_a_refused_file_verifies(tmp_path):
    """A job with signed pickles authenticates its files with the pickle key; a file forged
    under another key is refused by recovery, so verify without the key must not pass it."""
    from ember.checkpoint import PicklePolicy

    location = str(tmp_path / "pickles")
    signer = CheckpointDirectory(
        open_store(location), ValueCodec(PicklePolicy(True, b"k1")), keep=3, key=b"k1"
    )
    name = signer.write_state(0, 1000, [[("a", zstandard.ZstdCompressor)]], "state")  # a class: pickled
    signer.write_checkpoint(document(1000, {0: {"state": {"file": name, "time": 1000}}}))
    forger = CheckpointDirectory(
        open_store(location), ValueCodec(PicklePolicy(True, b"k2")), keep=3, key=b"k2"
    )
    forger.write_state(0, 1000, [[("a", zstandard.ZstdCompressor)]], "state")
    without = _ember("verify", location)
    assert without.returncode == 1 and "all 1 checkpoints verify" not in without.stdout
    assert "the signatures of 1 pickled values were not checked" in without.stdout
    assert "state/0-1000: authenticated with a key" in without.stdout
    with_key = _ember("verify", location, "--conf", "spark.ember.checkpoint.pickleKey=k1")
    assert with_key.returncode == 1 and "state/0-1000: its HMAC does not verify" in with_key.stdout
