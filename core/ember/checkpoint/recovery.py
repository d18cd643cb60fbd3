"""Recovery: ``StreamingContext.getOrCreate`` and bringing a restored graph up to date.

The setup function runs on every start: first to create the job, after a crash to rebuild
the same graph, which is then checked against the checkpoint's fingerprint and given the
checkpoint's data (``CheckpointSession``).  ``Resume`` then brings state from the batch it
was checkpointed at up to the last completed batch, by recomputing those batches' state from
their recorded input (their outputs already ran), and tells the scheduler where to go on:
the batches generated but not completed and those of the time the job was down all run, as in
Spark, unless ``spark.ember.streaming.recovery.maxCatchUpBatches`` bounds how many of the latter
run their output operations (older ones then only update state).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from ember.checkpoint.directory import CheckpointDirectory, LoadedCheckpoint
from ember.checkpoint.errors import CheckpointInvalidError, NoCheckpointError
from ember.checkpoint.fingerprint import check_matches, fingerprint, ordered_streams
from ember.streaming.context import StreamingContext, call_setup
from ember.streaming.materialize import materialize_and_cut

_log = logging.getLogger("ember.checkpoint")

MAX_CATCH_UP_SETTING = "spark.ember.streaming.recovery.maxCatchUpBatches"


def get_or_create(checkpoint_path: str, setup: Callable[[], StreamingContext]) -> StreamingContext:
    """The context ``setup`` builds, with the checkpoint at ``checkpoint_path`` restored into it
    when there is one (see the module docstring)."""
    ssc = call_setup(setup)
    try:
        ssc.checkpoint(checkpoint_path)
        directory = CheckpointDirectory.open(checkpoint_path, ssc.sparkContext.getConf())
        try:
            loaded = directory.load_latest(
                lambda candidate: _check_fits(candidate, ssc, directory, checkpoint_path)
            )
        except NoCheckpointError:
            return ssc
    except BaseException:
        ssc.sparkContext.stop()
        raise
    ssc.recovered_checkpoint = loaded
    return ssc


def _check_fits(
    loaded: LoadedCheckpoint, ssc: StreamingContext, directory: CheckpointDirectory, location: str
) -> None:
    """A checkpoint fits the rebuilt graph: the same fingerprint (else ``GraphMismatchError``,
    which stops recovery), and source positions their sources accept (else it is refused and
    recovery falls back to the checkpoint before)."""
    document = loaded.document
    check_matches(document["graph"], document["batch_ms"], fingerprint(ssc.graph), ssc.batch_ms, location)
    streams = ordered_streams(ssc.graph)
    for index, recorded in document["streams"].items():
        try:
            streams[index].validate_checkpoint_data(recorded)
        except ValueError as error:
            raise CheckpointInvalidError(
                f"{directory.store.where(f'checkpoint-{loaded.time_ms}')}: stream #{index} "
                f"({streams[index].describe()}) refuses its recorded positions: {error}"
            ) from None


class Resume:
    """Where a recovered job goes on, and the state replay that gets it there."""

    def __init__(
        self,
        zero_ms: int,
        last_completed_ms: int,
        batch_ms: int,
        stateful: list,
        state_times: dict[int, int],
        conf,
    ):
        self.zero_ms = zero_ms
        self.last_completed_ms = last_completed_ms
        self.batch_ms = batch_ms
        #: (index, stream) of every stateful stream, parents first
        self.stateful = stateful
        #: stream index -> the batch time its restored state belongs to
        self.state_times = state_times
        setting = conf.get(MAX_CATCH_UP_SETTING)
        if setting is not None and (not setting.strip().isdigit() or int(setting) < 1):
            raise ValueError(
                f"{MAX_CATCH_UP_SETTING}={setting!r} must be a whole number of batches, at least 1"
            )
        self.max_catch_up = int(setting) if setting is not None else None

    def first_batch_ms(self, now_ms: int) -> int:
        """The first batch the scheduler generates: right after the last completed one, or
        the oldest of the newest ``max_catch_up`` missed batches."""
        first = self.last_completed_ms + self.batch_ms
        latest = self.zero_ms + (now_ms - self.zero_ms) // self.batch_ms * self.batch_ms
        if self.max_catch_up is not None and (latest - first) // self.batch_ms + 1 > self.max_catch_up:
            bounded = latest - (self.max_catch_up - 1) * self.batch_ms
            _log.warning(
                "The job was down for %d batches; %s=%d: the batches from %d to %d ms update "
                "state without running their output operations",
                (latest - first) // self.batch_ms + 1,
                MAX_CATCH_UP_SETTING,
                self.max_catch_up,
                first,
                bounded - self.batch_ms,
            )
            return bounded
        return first

    def replay_state(self, until_ms: int) -> None:
        """Compute and keep every stateful stream's state for the batches after its restored
        state, up to ``until_ms``, oldest first and each cut from its lineage, as the
        scheduler does after a batch (so neither computing nor shipping it recurses deeply)."""
        oldest = min(
            (self.state_times.get(index, self.zero_ms) for index, _ in self.stateful), default=until_ms
        )
        for time_ms in range(oldest + self.batch_ms, until_ms + 1, self.batch_ms):
            for index, stream in self.stateful:
                if time_ms <= self.state_times.get(index, self.zero_ms):
                    continue
                rdd = stream.get_or_compute(time_ms)
                if rdd is not None:
                    materialize_and_cut(rdd)

    def start(self, now_ms: int) -> int:
        """Replay state up to the batch before the first one to run; return that first batch."""
        first = self.first_batch_ms(now_ms)
        self.replay_state(first - self.batch_ms)
        return first
