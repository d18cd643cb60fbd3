"""A checkpoint location: numbered checkpoint files, the state files they point to, pruning
and the fallback to the newest checkpoint that reads back whole.

Layout (names relative to the store's location)::

    checkpoint-<time ms>             the progress of the job after the batch at that time
    state/<stream>-<time ms>         one stateful stream's partitions at that batch time

A checkpoint file is small and written after every batch; state files are large and written
every checkpoint interval, and a checkpoint file names the latest state file of each stream.
The newest ``keep`` checkpoint files are kept, with every state file one of them names, so
that a damaged latest checkpoint (or state file) falls back to an older, complete one.

Every checkpoint carries the id of the run that wrote it and a sequence number that grows with
each checkpoint of that run; the ``run`` file names the directory's current run.  A checkpoint
of another run (copied in from another directory of the same job) or out of sequence is
refused and recovery falls back, rather than restoring it with empty state.  Every document is
checked against its schema (``schema.py``) and every body's decompressed size is bounded.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ember.checkpoint.errors import (
    CheckpointCorruptError,
    CheckpointError,
    CheckpointInvalidError,
    NoCheckpointError,
)
from ember.checkpoint.framing import KEY_SETTING, frame, unframe
from ember.checkpoint.schema import check_document, check_state, state_file_parts
from ember.checkpoint.store import CheckpointStore, open_store
from ember.checkpoint.values import PICKLE_KEY, PicklePolicy, ValueCodec

_log = logging.getLogger("ember.checkpoint")

KEEP_SETTING = "spark.ember.checkpoint.keep"
DEFAULT_KEEP = 5
MAX_BYTES_SETTING = "spark.ember.checkpoint.maxDecompressedBytes"
#: the most a checkpoint file (or a state file whose size its checkpoint does not record)
#: may decompress to; state files are bounded by the size their checkpoint recorded
DEFAULT_MAX_BYTES = 256 << 20
RUN_FILE = "run"
CHECKPOINT_PREFIX = "checkpoint-"
STATE_PREFIX = "state/"
_CHECKPOINT_NAME = re.compile(r"^checkpoint-(\d+)$")


def checkpoint_name(time_ms: int) -> str:
    return f"{CHECKPOINT_PREFIX}{time_ms}"


def state_name(stream: int, time_ms: int) -> str:
    return f"{STATE_PREFIX}{stream}-{time_ms}"


@dataclass
class LoadedCheckpoint:
    """A checkpoint read back whole: its document and each stream's state partitions."""

    document: dict[str, Any]
    #: stream index -> the state's partitions (lists of records)
    states: dict[int, list[list]] = field(default_factory=dict)
    #: problems with newer checkpoints that were skipped to reach this one
    skipped: list[str] = field(default_factory=list)

    @property
    def time_ms(self) -> int:
        return self.document["time"]

    @property
    def run(self) -> str | None:
        """The run that wrote it (None for format 1, which had no run ids)."""
        return self.document.get("run")


def file_key(conf) -> bytes | None:
    """The key that authenticates whole checkpoint files: ``spark.ember.checkpoint.key``, else
    the pickle key (a job that signs pickles has a secret already)."""
    key = conf.get(KEY_SETTING) or conf.get(PICKLE_KEY)
    return key.encode() if key else None


def max_bytes_from(conf) -> int:
    value = conf.get(MAX_BYTES_SETTING, str(DEFAULT_MAX_BYTES))
    if not str(value).strip().isdigit() or int(value) < 1:
        raise ValueError(f"{MAX_BYTES_SETTING}={value!r} must be a whole number of bytes, at least 1")
    return int(value)


class CheckpointDirectory:
    """Reads and writes the checkpoints of one job in ``store`` with ``codec``."""

    def __init__(
        self,
        store: CheckpointStore,
        codec: ValueCodec,
        keep: int = DEFAULT_KEEP,
        key: bytes | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        unchecked: list[str] | None = None,
    ):
        """``key`` authenticates every file (``frame``); ``unchecked`` (verify and inspect
        without the key) collects what could not be checked instead of refusing it."""
        if keep < 1:
            raise ValueError(f"{KEEP_SETTING} must be at least 1, got {keep}")
        self.store = store
        self.codec = codec
        self.keep = keep
        self.key = key
        self.max_bytes = max_bytes
        self.unchecked = unchecked
        #: checkpoint time -> the state files it names, for the checkpoints seen so far
        self._state_files: dict[int, set[str]] = {}
        #: the run this directory writes for, and the sequence of its last checkpoint
        self.run_id: str | None = None
        self.sequence = 0

    @classmethod
    def open(cls, location: str, conf) -> CheckpointDirectory:
        """The checkpoint directory at ``location`` with the job's pickle policy, key and retention."""
        return cls(
            open_store(location, conf),
            ValueCodec(PicklePolicy.from_conf(conf)),
            int(conf.get(KEEP_SETTING, str(DEFAULT_KEEP))),
            file_key(conf),
            max_bytes_from(conf),
        )

    def _frame(self, payload: bytes) -> bytes:
        return frame(payload, key=self.key)

    # -- the run ------------------------------------------------------------------------------
    def begin_run(self, recovered: LoadedCheckpoint | None) -> None:
        """Write for the run of ``recovered`` (going on with its sequence), or for a new run,
        which the ``run`` file then names: older runs' checkpoints are no longer accepted."""
        if recovered is not None and recovered.run is not None:
            # after the newest sequence of the run in the directory: a newer checkpoint of the
            # run that recovery skipped (its state file damaged, say) may still be there
            self.run_id, self.sequence = (
                recovered.run,
                max([recovered.document["sequence"], *self._sequences_of(recovered.run)]),
            )
        else:
            self.run_id, self.sequence = uuid.uuid4().hex, 0
        if self.current_run() != self.run_id:
            self.store.write(
                RUN_FILE,
                self._frame(
                    self.codec.encode(
                        {"run": self.run_id, "started_ms": int(time.time() * 1000)},
                        self.store.where(RUN_FILE),
                    )
                ),
            )

    def _sequences_of(self, run: str) -> list[int]:
        sequences = []
        for time_ms in self.checkpoint_times():
            try:
                document = self._read_document(time_ms)
            except CheckpointError:
                continue
            if document.get("run") == run:
                sequences.append(document["sequence"])
        return sequences

    def current_run(self) -> str | None:
        """The run the ``run`` file names; None without one (a new directory, or format 1)."""
        try:
            data = self.store.read(RUN_FILE)
        except FileNotFoundError:
            return None
        try:
            body = self._decode(RUN_FILE, data)
        except CheckpointCorruptError as error:
            _log.warning("Checkpoints are not checked against the directory's run: %s", error)
            return None
        if not isinstance(body, dict) or not isinstance(body.get("run"), str):
            _log.warning(
                "%s: holds no run id; checkpoints are not checked against the directory's run",
                self.store.where(RUN_FILE),
            )
            return None
        return body["run"]

    # -- writing ----------------------------------------------------------------------------
    def write_state(self, stream: int, time_ms: int, partitions: list[list], where: str) -> str:
        """Write a stream's state at ``time_ms``; returns the name to put in the checkpoint."""
        return self.write_state_sized(stream, time_ms, partitions, where)[0]

    def write_state_sized(
        self, stream: int, time_ms: int, partitions: list[list], where: str
    ) -> tuple[str, int]:
        """``write_state``, also returning the decompressed size (for the checkpoint to record,
        which bounds the decompression when it is read back)."""
        name = state_name(stream, time_ms)
        body = {
            "stream": stream,
            "time": time_ms,
            "partitions": [self.codec.encode_records(p, where) for p in partitions],
        }
        payload = self.codec.encode(body, where)
        self.store.write(name, self._frame(payload))
        return name, len(payload)

    def write_checkpoint(self, document: dict[str, Any]) -> str:
        """Write the checkpoint of ``document["time"]`` with this run's id and next sequence
        number, then drop what is no longer needed."""
        if self.run_id is None:
            self.begin_run(None)
        self.sequence += 1
        document = {**document, "run": self.run_id, "sequence": self.sequence}
        name = checkpoint_name(document["time"])
        self.store.write(name, self._frame(self.codec.encode(document, self.store.where(name))))
        self._state_files[document["time"]] = state_files(document)
        self.prune()
        return name

    def prune(self) -> None:
        """Keep the newest ``keep`` checkpoints and the state files they name."""
        times = self.checkpoint_times()
        for old in times[: -self.keep]:
            self.store.delete(checkpoint_name(old))
        needed: set[str] = set()
        for time_ms in times[-self.keep :]:
            if time_ms not in self._state_files:
                try:
                    self._state_files[time_ms] = state_files(self._read_document(time_ms))
                except CheckpointError:
                    continue
            needed.update(self._state_files[time_ms])
        self._state_files = {t: files for t, files in self._state_files.items() if t in times[-self.keep :]}
        for name in self.store.list(STATE_PREFIX):
            if name not in needed:
                self.store.delete(name)

    # -- reading ----------------------------------------------------------------------------
    def checkpoint_times(self) -> list[int]:
        """Times of the checkpoint files present, oldest first."""
        times = []
        for name in self.store.list(CHECKPOINT_PREFIX):
            match = _CHECKPOINT_NAME.match(name)
            if match:
                times.append(int(match.group(1)))
        return sorted(times)

    def read_file(self, name: str, max_bytes: int | None = None):
        """The decoded contents of one file (any error names the file), decompressed to at
        most ``max_bytes`` (the directory's limit by default)."""
        try:
            data = self.store.read(name)
        except FileNotFoundError:
            raise CheckpointCorruptError(f"{self.store.where(name)}: missing") from None
        return self._decode(name, data, max_bytes)

    def _decode(self, name: str, data: bytes, max_bytes: int | None = None):
        where = self.store.where(name)
        payload = unframe(data, where, self.key, max_bytes or self.max_bytes, self.unchecked)
        try:
            return self.codec.decode(payload, where)
        except (ValueError, TypeError, EOFError, ArithmeticError, RecursionError) as error:  # bad bytes
            raise CheckpointCorruptError(f"{where}: does not decode: {error}") from None

    def _read_document(self, time_ms: int) -> dict[str, Any]:
        name = checkpoint_name(time_ms)
        return check_document(self.read_file(name), self.store.where(name), time_ms)

    def read_state(self, name: str, size: int | None = None) -> list[list]:
        """A state file's partitions; ``size`` is what its checkpoint recorded it decompresses to."""
        stream, time_ms = state_file_parts(name)
        body = check_state(self.read_file(name, size), self.store.where(name), stream, time_ms)
        return [self.codec.decode_records(p) for p in body["partitions"]]

    def load(self, time_ms: int) -> LoadedCheckpoint:
        """The checkpoint of ``time_ms`` with its state; errors when any part is unreadable."""
        return self._with_states(self._read_document(time_ms))

    def _with_states(self, document: dict[str, Any]) -> LoadedCheckpoint:
        states = {
            index: self.read_state(stream["state"]["file"], stream["state"].get("bytes"))
            for index, stream in document["streams"].items()
            if stream.get("state")
        }
        return LoadedCheckpoint(document, states)

    def check_history(self, document: dict[str, Any], run: str | None) -> None:
        """Refuse a checkpoint that is not of the directory's run ``run``, or whose sequence
        number does not follow the one of the checkpoint before it."""
        time_ms = document["time"]
        where = self.store.where(checkpoint_name(time_ms))
        if run is not None and document.get("run") != run:
            written_by = (
                f"run {document['run']}" if document.get("run") else "an older ember, without a run id"
            )
            raise CheckpointInvalidError(
                f"{where}: was written by {written_by}, not by this directory's run {run} (copied "
                "in from another checkpoint directory of the job?): refused"
            )
        older = [t for t in self.checkpoint_times() if t < time_ms]
        if not older or document.get("run") is None:
            return
        try:
            previous = self._read_document(older[-1])
        except CheckpointError:
            return
        if previous.get("run") == document["run"] and previous["sequence"] >= document["sequence"]:
            raise CheckpointInvalidError(
                f"{where}: its sequence number {document['sequence']} does not follow the "
                f"{previous['sequence']} of {checkpoint_name(older[-1])} before it (an older "
                "checkpoint of the run, renamed or edited): refused"
            )

    def load_latest(self, accept: Callable[[LoadedCheckpoint], None] | None = None) -> LoadedCheckpoint:
        """The newest checkpoint that reads back whole, belongs to the directory's run and
        that ``accept`` does not refuse, warning about each one skipped.

        Only damage (``CheckpointCorruptError``, with ``CheckpointInvalidError``) falls back; a
        newer format or a bad signature stops here, since an older checkpoint would silently
        lose progress.
        """
        times = self.checkpoint_times()
        if not times:
            raise NoCheckpointError(f"{self.store.uri}: no checkpoint found")
        run = self.current_run()
        skipped: list[str] = []
        for time_ms in reversed(times):
            try:
                document = self._read_document(time_ms)
                self.check_history(document, run)
                loaded = self._with_states(document)
                if accept is not None:
                    accept(loaded)
            except CheckpointCorruptError as error:
                skipped.append(str(error))
                _log.warning(
                    "Skipping a checkpoint that cannot be used, falling back to the previous one: %s", error
                )
                continue
            loaded.skipped = skipped
            return loaded
        raise CheckpointCorruptError(
            f"{self.store.uri}: every checkpoint is damaged or refused; start fresh with a new checkpoint "
            "directory. Problems: " + "; ".join(skipped)
        )


def state_files_by_stream(document: dict[str, Any]) -> dict[int, str]:
    """stream index -> the state file a checkpoint document (checked by its schema) names for it."""
    return {
        index: stream["state"]["file"] for index, stream in document["streams"].items() if stream.get("state")
    }


def state_files(document: dict[str, Any]) -> set[str]:
    return set(state_files_by_stream(document).values())
