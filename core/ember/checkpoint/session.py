"""Checkpointing a running StreamingContext: set up at ``start()``, written after every batch.

``CheckpointSession.open(ssc)`` (None without ``ssc.checkpoint(dir)``) opens the store, puts
the write-ahead log in front of receivers when it is enabled, and, when ``getOrCreate``
recovered a checkpoint, restores its data into the rebuilt graph before anything starts.
``after_batch(time)`` then runs on the scheduler's runner thread after each batch: it writes
the state of stateful streams at their checkpoint times, then the checkpoint file with the
job's progress and every replayable source's recorded positions, and trims the log.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from ember._version import __version__
from ember.checkpoint import wal
from ember.checkpoint.directory import CheckpointDirectory, LoadedCheckpoint
from ember.checkpoint.fingerprint import fingerprint, ordered_streams
from ember.checkpoint.framing import FORMAT_VERSION
from ember.checkpoint.recovery import Resume
from ember.checkpoint.store import LocalCheckpointStore
from ember.streaming.context import StreamingContext

_log = logging.getLogger("ember.checkpoint")


class CheckpointSession:
    def __init__(self, ssc: StreamingContext, directory: CheckpointDirectory):
        self.ssc = ssc
        self.directory = directory
        self.graph = ssc.graph
        self.streams = ordered_streams(self.graph)
        self.fingerprint = fingerprint(self.graph)
        #: stream index -> {"file", "time", "records"} of its latest state file
        self.latest_state: dict[int, dict[str, Any]] = {}
        #: stream index -> that receiver stream's write-ahead log
        self.logs: dict[int, wal.WriteAheadLog] = {}
        self.resume: Resume | None = None

    @classmethod
    def open(cls, ssc: StreamingContext) -> CheckpointSession | None:
        if ssc.checkpoint_directory is None:
            return None
        conf = ssc.sparkContext.getConf()
        session = cls(ssc, CheckpointDirectory.open(ssc.checkpoint_directory, conf))
        if isinstance(session.directory.store, LocalCheckpointStore):
            session.directory.store.remove_temporaries()
        recovered = ssc.recovered_checkpoint
        if recovered is not None:
            session._restore(recovered)
        if wal.enabled(conf):
            session._attach_logs(recovered is not None)
        return session

    # -- restoring ----------------------------------------------------------------------------
    def _restore(self, loaded: LoadedCheckpoint) -> None:
        """Put the checkpoint's positions and state into the rebuilt streams (before start)."""
        document = loaded.document
        for index, recorded in document.get("streams", {}).items():
            self.streams[int(index)].restore_checkpoint_data(recorded)
            if recorded.get("state"):
                self.latest_state[int(index)] = recorded["state"]
        state_times = {}
        for index, partitions in loaded.states.items():
            state_time = self.latest_state[index]["time"]
            self.streams[index].restore_state(state_time, partitions)
            state_times[index] = state_time
        stateful = [(index, s) for index, s in enumerate(self.streams) if s.must_checkpoint]
        self.resume = Resume(
            document["zero_ms"],
            document["last_completed_ms"],
            self.graph.batch_ms,
            stateful,
            state_times,
            self.ssc.sparkContext.getConf(),
        )
        _log.warning(
            "Recovering from %s: last completed batch %d ms, %d batches generated but not "
            "completed will run again",
            self.directory.store.where(f"checkpoint-{loaded.time_ms}"),
            document["last_completed_ms"],
            len(document.get("pending", [])),
        )

    def _attach_logs(self, recovered: bool) -> None:
        """Log every receiver's stores; give logged records back to their batches or the next one."""
        for index, stream in enumerate(self.streams):
            if not stream.has_receiver:
                continue
            log = wal.WriteAheadLog(wal.log_directory(self.directory.store, index), self.directory.codec)
            self.logs[index] = log
            batches, unowned, reused = log.recover(keep_batches=recovered)
            stream.attach_write_ahead_log(lambda inner: wal.LoggedBlockBuffer(inner, log), batches, unowned)
            log.delete(reused)

    # -- writing ----------------------------------------------------------------------------
    def after_batch(self, time_ms: int) -> None:
        """Checkpoint the job after the batch at ``time_ms`` completed."""
        zero_ms = self.graph.zero_ms
        for index, stream in enumerate(self.streams):
            if (
                stream.must_checkpoint
                and stream.checkpoint_ms
                and (time_ms - zero_ms) % stream.checkpoint_ms == 0
            ):
                self._write_state(index, stream, time_ms)
        self.directory.write_checkpoint(self._document(time_ms))
        for index, log in self.logs.items():
            log.trim(time_ms - self.streams[index].remember_ms)

    def _write_state(self, index: int, stream, time_ms: int) -> None:
        rdd = stream.state_at(time_ms)
        if rdd is None:
            return
        partitions = rdd.glom().collect()
        name = self.directory.write_state(index, time_ms, partitions, f"the state of {stream.describe()}")
        self.latest_state[index] = {"file": name, "time": time_ms, "records": sum(map(len, partitions))}

    def _document(self, time_ms: int) -> dict[str, Any]:
        streams: dict[int, dict[str, Any]] = {
            index: {"state": state} for index, state in self.latest_state.items()
        }
        pending: set[int] = set()
        for index, stream in enumerate(self.streams):
            data, allocated = stream.checkpoint_data(time_ms)
            if data:
                streams.setdefault(index, {}).update(data)
            pending.update(allocated)
            if index in self.logs:
                streams.setdefault(index, {})["wal"] = {"pending_batches": sorted(allocated)}
        return {
            "format": FORMAT_VERSION,
            "ember_version": __version__,
            "time": time_ms,
            "written_ms": int(time.time() * 1000),
            "batch_ms": self.graph.batch_ms,
            "zero_ms": self.graph.zero_ms,
            "last_completed_ms": time_ms,
            "pending": sorted(pending),
            "graph": self.fingerprint,
            "streams": streams,
        }

    def close(self) -> None:
        for log in self.logs.values():
            log.close()
