"""Checkpointing a running StreamingContext: set up at ``start()``, written after every batch.

``CheckpointSession.open(ssc)`` (None without ``ssc.checkpoint(dir)``) opens the store, puts
the write-ahead log in front of receivers when it is enabled, and, when ``getOrCreate``
recovered a checkpoint, restores its data into the rebuilt graph before anything starts.
``after_batch(time)`` then runs on the scheduler's runner thread after each batch: it writes
the state of stateful streams at their checkpoint times, then the checkpoint file with the
job's progress and every replayable source's recorded positions, and trims the log.
``final_checkpoint()`` at stop writes every stateful stream's state of the last batch too.

State restored from a checkpoint older than the last completed batch is brought forward by
re-running the batches since; a receiver without the write-ahead log cannot give their input
back, so recovery says which batches of which stream are lost, once, on the log and to
listeners (``onStreamingDataLost``).
"""

from __future__ import annotations

import functools
import logging
import time
from typing import TYPE_CHECKING, Any, cast

from ember._version import __version__
from ember.checkpoint import wal
from ember.checkpoint.directory import CheckpointDirectory, LoadedCheckpoint
from ember.checkpoint.fingerprint import fingerprint, ordered_streams
from ember.checkpoint.framing import FORMAT_VERSION
from ember.checkpoint.recovery import Resume
from ember.checkpoint.store import LocalCheckpointStore
from ember.streaming.context import StreamingContext
from ember.streaming.listener import DataLossInfo, StreamingListenerStreamingDataLost

if TYPE_CHECKING:
    from ember.streaming.source_streams import ReceiverInputDStream

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
        #: the batch time of the newest checkpoint this session wrote
        self.last_checkpointed_ms: int | None = None

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
        session.directory.begin_run(recovered)
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
        for index, stream in stateful:
            if index not in state_times:
                _log.warning(
                    "Recovering %s (stream #%d) with empty state: checkpoint-%d holds no state "
                    "for it (the job stopped before its first checkpoint interval); its state is "
                    "recomputed only from the input recorded since %d ms",
                    stream.describe(),
                    index,
                    loaded.time_ms,
                    document["zero_ms"],
                )
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
        if not wal.enabled(self.ssc.sparkContext.getConf()):
            self._report_unreplayable(
                stateful, state_times, document["zero_ms"], document["last_completed_ms"]
            )

    def _report_unreplayable(
        self, stateful: list, state_times: dict[int, int], zero_ms: int, last_completed_ms: int
    ) -> None:
        """Name the batches whose input the state replay needs but no receiver can give back."""
        batch_ms = self.graph.batch_ms
        lost: dict[int, tuple[Any, set[int], list[str]]] = {}
        for index, stream in stateful:
            times = range(state_times.get(index, zero_ms) + batch_ms, last_completed_ms + 1, batch_ms)
            if not times:
                continue
            for receiver in _receiver_ancestors(stream):
                _, lost_times, states = lost.setdefault(receiver.id, (receiver, set(), []))
                lost_times.update(times)
                states.append(stream.describe())
        for receiver, lost_times, states in lost.values():
            info = DataLossInfo(
                receiver.id, receiver.describe(), tuple(sorted(lost_times)), tuple(states), wal.ENABLE_SETTING
            )
            _log.warning(
                "Data lost on recovery: the records %s received in the %d batches %s are not in "
                "the restored state of %s (it was checkpointed before them, and without the "
                "write-ahead log a receiver's input cannot be replayed); set %s=true to keep them",
                receiver.describe(),
                len(lost_times),
                _describe_times(info.batch_times_ms),
                ", ".join(states),
                wal.ENABLE_SETTING,
            )
            self.ssc.listener_bus.post("onStreamingDataLost", StreamingListenerStreamingDataLost(info))

    def _attach_logs(self, recovered: bool) -> None:
        """Log every receiver's stores; give logged records back to their batches or the next one."""
        for index, stream in enumerate(self.streams):
            if not stream.has_receiver:
                continue
            log = wal.WriteAheadLog(wal.log_directory(self.directory.store, index), self.directory.codec)
            self.logs[index] = log
            batches, unowned, reused = log.recover(keep_batches=recovered)
            stream = cast("ReceiverInputDStream", stream)  # has_receiver: it runs a receiver
            stream.attach_write_ahead_log(
                functools.partial(wal.LoggedBlockBuffer, log=log), batches, unowned, log.batch_segment
            )
            log.delete(reused)

    # -- writing ----------------------------------------------------------------------------
    def after_batch(self, time_ms: int) -> None:
        """Checkpoint the job after the batch at ``time_ms`` completed."""
        zero_ms = self.graph.zero_ms
        assert zero_ms is not None, "the graph starts before its first batch"
        for index, stream in enumerate(self.streams):
            if (
                stream.must_checkpoint
                and stream.checkpoint_ms
                and (time_ms - zero_ms) % stream.checkpoint_ms == 0
            ):
                self._write_state(index, stream, time_ms)
        self.directory.write_checkpoint(self._document(time_ms))
        self.last_checkpointed_ms = time_ms
        for index, log in self.logs.items():
            remember_ms = self.streams[index].remember_ms
            assert remember_ms is not None, "remember() runs at start"
            log.trim(time_ms - remember_ms)

    def final_checkpoint(self) -> None:
        """Write the state every stateful stream has at the newest checkpointed batch, where
        it is newer than the state checkpointed last, and that checkpoint again naming it."""
        time_ms = self.last_checkpointed_ms
        if time_ms is None:
            return
        written = False
        for index, stream in enumerate(self.streams):
            if stream.must_checkpoint and self.latest_state.get(index, {}).get("time", -1) < time_ms:
                written |= self._write_state(index, stream, time_ms)
        if written:
            self.directory.write_checkpoint(self._document(time_ms))

    def _write_state(self, index: int, stream, time_ms: int) -> bool:
        rdd = stream.state_at(time_ms)
        if rdd is None:
            return False
        partitions = rdd.glom().collect()
        name, size = self.directory.write_state_sized(
            index, time_ms, partitions, f"the state of {stream.describe()}"
        )
        self.latest_state[index] = {
            "file": name,
            "time": time_ms,
            "records": sum(map(len, partitions)),
            "bytes": size,
        }
        return True

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


def _receiver_ancestors(stream) -> list:
    """The receiver input streams ``stream`` is computed from, each once."""
    found, seen, pending = [], set(), [stream]
    while pending:
        current = pending.pop()
        if current.id in seen:
            continue
        seen.add(current.id)
        if current.has_receiver:
            found.append(current)
        pending.extend(current.parents)
    return found


def _describe_times(times: tuple[int, ...]) -> str:
    """Batch times for a log line: all of them when few, else the first and last."""
    if len(times) <= 6:
        return "at " + ", ".join(map(str, times)) + " ms"
    return f"from {times[0]} to {times[-1]} ms"
