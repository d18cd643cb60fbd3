"""A checkpoint location: numbered checkpoint files, the state files they point to, pruning
and the fallback to the newest checkpoint that reads back whole.

Layout (names relative to the store's location)::

    checkpoint-<time ms>             the progress of the job after the batch at that time
    state/<stream>-<time ms>         one stateful stream's partitions at that batch time

A checkpoint file is small and written after every batch; state files are large and written
every checkpoint interval, and a checkpoint file names the latest state file of each stream.
The newest ``keep`` checkpoint files are kept, with every state file one of them names, so
that a damaged latest checkpoint (or state file) falls back to an older, complete one.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from ember.checkpoint.errors import CheckpointCorruptError, CheckpointError, NoCheckpointError
from ember.checkpoint.framing import frame, unframe
from ember.checkpoint.store import CheckpointStore, open_store
from ember.checkpoint.values import PicklePolicy, ValueCodec

_log = logging.getLogger("ember.checkpoint")

KEEP_SETTING = "spark.ember.checkpoint.keep"
DEFAULT_KEEP = 5
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


class CheckpointDirectory:
    """Reads and writes the checkpoints of one job in ``store`` with ``codec``."""

    def __init__(self, store: CheckpointStore, codec: ValueCodec, keep: int = DEFAULT_KEEP):
        if keep < 1:
            raise ValueError(f"{KEEP_SETTING} must be at least 1, got {keep}")
        self.store = store
        self.codec = codec
        self.keep = keep
        #: checkpoint time -> the state files it names, for the checkpoints seen so far
        self._state_files: dict[int, set[str]] = {}

    @classmethod
    def open(cls, location: str, conf) -> CheckpointDirectory:
        """The checkpoint directory at ``location`` with the job's pickle policy and retention."""
        return cls(
            open_store(location, conf),
            ValueCodec(PicklePolicy.from_conf(conf)),
            int(conf.get(KEEP_SETTING, str(DEFAULT_KEEP))),
        )

    # -- writing ----------------------------------------------------------------------------
    def write_state(self, stream: int, time_ms: int, partitions: list[list], where: str) -> str:
        """Write a stream's state at ``time_ms``; returns the name to put in the checkpoint."""
        name = state_name(stream, time_ms)
        body = {
            "stream": stream,
            "time": time_ms,
            "partitions": [self.codec.encode_records(p, where) for p in partitions],
        }
        self.store.write(name, frame(self.codec.encode(body, where)))
        return name

    def write_checkpoint(self, document: dict[str, Any]) -> str:
        """Write the checkpoint of ``document["time"]``, then drop what is no longer needed."""
        name = checkpoint_name(document["time"])
        self.store.write(name, frame(self.codec.encode(document, self.store.where(name))))
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

    def read_file(self, name: str):
        """The decoded contents of one file (any error names the file)."""
        where = self.store.where(name)
        try:
            data = self.store.read(name)
        except FileNotFoundError:
            raise CheckpointCorruptError(f"{where}: missing") from None
        payload = unframe(data, where)
        try:
            return self.codec.decode(payload, where)
        except (ValueError, TypeError, EOFError) as error:  # msgpack's errors on bad bytes
            raise CheckpointCorruptError(f"{where}: does not decode: {error}") from None

    def _read_document(self, time_ms: int) -> dict[str, Any]:
        return self.read_file(checkpoint_name(time_ms))

    def read_state(self, name: str) -> list[list]:
        body = self.read_file(name)
        return [self.codec.decode_records(p) for p in body["partitions"]]

    def load(self, time_ms: int) -> LoadedCheckpoint:
        """The checkpoint of ``time_ms`` with its state; errors when any part is unreadable."""
        document = self._read_document(time_ms)
        states = {
            int(stream): self.read_state(name) for stream, name in state_files_by_stream(document).items()
        }
        return LoadedCheckpoint(document, states)

    def load_latest(self) -> LoadedCheckpoint:
        """The newest checkpoint that reads back whole, warning about each one skipped.

        Only damage (``CheckpointCorruptError``) falls back; a newer format or a bad
        signature stops here, since an older checkpoint would silently lose progress.
        """
        times = self.checkpoint_times()
        if not times:
            raise NoCheckpointError(f"{self.store.uri}: no checkpoint found")
        skipped: list[str] = []
        for time_ms in reversed(times):
            try:
                loaded = self.load(time_ms)
            except CheckpointCorruptError as error:
                skipped.append(str(error))
                _log.warning("Skipping a damaged checkpoint, falling back to the previous one: %s", error)
                continue
            loaded.skipped = skipped
            return loaded
        raise CheckpointCorruptError(
            f"{self.store.uri}: every checkpoint is damaged; start fresh with a new checkpoint "
            "directory. Problems: " + "; ".join(skipped)
        )


def state_files_by_stream(document: dict[str, Any]) -> dict[int, str]:
    """stream index -> the state file a checkpoint document names for it."""
    return {
        int(index): stream["state"]["file"]
        for index, stream in document.get("streams", {}).items()
        if stream.get("state")
    }


def state_files(document: dict[str, Any]) -> set[str]:
    return set(state_files_by_stream(document).values())
