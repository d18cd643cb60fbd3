"""The input DStreams that carry plugin sources into the graph, and their batches' RDDs.

``ReceiverInputDStream`` runs a ``Receiver`` as a service of the executor and, at each batch
time, turns the blocks received since the previous batch into the batch's RDD (one partition
per block, read where the receiver stored it; with the write-ahead log on, blocks lost with
their workers are stored again from the log).  ``DirectInputDStream`` asks a
``ReplayableSource`` for each batch's position ranges and records them, so a batch computed
again reads the very same records.  Both keep what they allocated per batch as plain data
(block ids and counts, ``PositionRange.to_data()`` lists) for the checkpoint and
write-ahead-log code to persist.
"""

from __future__ import annotations

import functools
import itertools
import logging
import uuid
import weakref
from collections.abc import Callable, Iterator
from typing import Any

from ember.conf import SparkConf
from ember.plugins import PositionRange, Receiver, ReplayableSource, SourceContext, duration_ms
from ember.rdd import RDD
from ember.rdd.lineage import BlockRDD
from ember.rdd.rdd import _drop_blocks
from ember.streaming import listener
from ember.streaming.blocks import (
    DEFAULT_MAX_BUFFERED_BYTES,
    MAX_BUFFERED_BYTES_SETTING,
    BlockBuffer,
    RateLimiter,
)
from ember.streaming.input import InputDStream
from ember.streaming.rate_control import RateController, initial_rate
from ember.streaming.receiver_service import Partitions, ReceiverService
from ember.streaming.receiver_tracker import DEFAULT_TAKE_TIMEOUT_MS, TAKE_TIMEOUT_SETTING, ReceiverTracker

BLOCK_INTERVAL = "spark.streaming.blockInterval"
RECEIVER_MAX_RATE = "spark.streaming.receiver.maxRate"
RECEIVER_RESTART_DELAY = "spark.streaming.receiverRestartDelay"
WRITE_AHEAD_LOG = "spark.streaming.receiver.writeAheadLog.enable"

_log = logging.getLogger("ember.receiver")

_EVENTS = {
    "onReceiverStarted": listener.StreamingListenerReceiverStarted,
    "onReceiverError": listener.StreamingListenerReceiverError,
    "onReceiverStopped": listener.StreamingListenerReceiverStopped,
}


class ReceivedBlocksLostError(Exception):
    """Received blocks of a batch were lost with their workers and cannot be stored again."""


class ReceiverInputDStream(InputDStream):
    """The stream of a push source: each batch holds the blocks received before its time.

    The receiver runs as a service of the executor (in a worker process of the local[N] pool)
    and keeps its blocks there; this stream only learns their ids (``ReceiverTracker``).  With
    the write-ahead log on, a batch's blocks hold, in order, the records of the log segments
    sealed by the takes that answered it, so blocks lost with their workers (on a cluster) are
    stored again from those segments with the very same records (``_restore_blocks``).
    """

    kind = "receiver"
    has_receiver = True

    def __init__(self, ssc, receiver: Receiver, description: str):
        super().__init__(ssc)
        self.receiver = receiver
        self.description = description
        conf = ssc.sparkContext.getConf()
        self._max_rate = conf_rate(conf, RECEIVER_MAX_RATE)
        #: backpressure (None when off): each new estimate becomes the limiter's rate
        self.rate_controller = RateController.for_stream(conf, self.id, self.slide_ms, self._set_rate)
        start_rate = self._max_rate
        if self.rate_controller is not None and initial_rate(conf) > 0:
            start_rate = _bounded(initial_rate(conf), self._max_rate)
        self._block_interval_ms = conf_duration_ms(conf, BLOCK_INTERVAL, "200ms")
        self._restart_delay_ms = conf_duration_ms(conf, RECEIVER_RESTART_DELAY, "2000ms")
        self._max_buffered_bytes = conf_bytes(conf, MAX_BUFFERED_BYTES_SETTING, DEFAULT_MAX_BUFFERED_BYTES)
        self._block_prefix = f"received/{uuid.uuid4().hex[:12]}/"
        self._wrap_log: Callable | None = None
        #: the records of the log segment sealed by the take at a batch time (None: no such segment)
        self._read_segment: Callable[[int], list | None] | None = None
        self.tracker = ReceiverTracker(
            ssc.sparkContext.executor,
            self.id,
            receiver.name(),
            start_rate,
            self._post,
            conf_duration_ms(conf, TAKE_TIMEOUT_SETTING, f"{DEFAULT_TAKE_TIMEOUT_MS}ms"),
        )
        #: batch time -> that batch's partitions: the ids of the blocks each reads, its records
        self.allocated: dict[int, Partitions] = {}
        #: batch time -> the takes (batch times) that answered its partitions, in order
        self.taken_by: dict[int, tuple[int, ...]] = {}

    def attach_write_ahead_log(
        self,
        wrap: Callable[[BlockBuffer], Any],
        recovered: dict[int, list],
        unallocated: list,
        read_segment: Callable[[int], list | None],
    ) -> None:
        """Before start: put ``wrap(buffer)`` (the write-ahead log) between the receiver and its
        block buffer, give the batches the log recovered their records back (time -> records),
        log again the records no batch had taken (the receiver stores them when it starts), and
        read lost blocks back with ``read_segment(batch time)``."""
        self._wrap_log = wrap
        self._read_segment = read_segment
        executor = self._sc.executor
        for time_ms, records in recovered.items():
            self.allocated[time_ms] = []
            if records:
                block_id = f"{self._block_prefix}recovered/{time_ms}/"
                executor.put_block(block_id, records)
                self.allocated[time_ms].append(((block_id,), len(records)))
                self.taken_by[time_ms] = (time_ms,)
        wrap(BlockBuffer(self._block_interval_ms, RateLimiter(0))).add_block(unallocated)

    def checkpoint_data(self, completed_ms: int) -> tuple[dict, list[int]]:
        return {}, [t for t in list(self.allocated) if t > completed_ms]

    def _set_rate(self, rate: float) -> None:
        """Backpressure's new estimate, bounded by ``spark.streaming.receiver.maxRate``."""
        if rate > 0:
            self.tracker.set_rate(_bounded(rate, self._max_rate))

    def _post(self, event_name: str, info) -> None:
        self._ssc.listener_bus.post(event_name, _EVENTS[event_name](info))

    def start(self) -> None:
        self.tracker.start(
            ReceiverService(
                self.receiver,
                self.id,
                self._block_prefix,
                self._block_interval_ms,
                self.tracker.rate,
                self._restart_delay_ms,
                self._wrap_log,
                self._sc.defaultParallelism,
                self._max_buffered_bytes,
                f"the receiver of {self.description} (stream {self.id})",
            )
        )

    def send_to_receiver(self, message: Any) -> None:
        """``ember.plugins.send_to_receiver``: to the running receiver's ``onDriverMessage``."""
        self.tracker.send_to_receiver(message)

    def stop_receiving(self) -> None:
        self.tracker.stop_receiving()

    def stop(self) -> None:
        self.tracker.stop()
        self._sc.executor.remove_blocks([self._block_prefix])

    def compute(self, time_ms: int):
        blocks = self.allocated.get(time_ms)
        if blocks is None:
            blocks, self.taken_by[time_ms] = self.tracker.take(time_ms)
            self.allocated[time_ms] = blocks
        return BlockRDD(
            self._sc, [block_ids for block_ids, _ in blocks], functools.partial(self._restore_blocks, time_ms)
        )

    def _restore_blocks(self, time_ms: int, lost: list[str]) -> None:
        """Store the lost blocks of the batch at ``time_ms`` again, each with the records it
        held: the batch's partitions (one block each with the log on) hold, in order, the
        records of the log segments of the takes that answered it."""
        what = f"received blocks of batch {time_ms} ms of {self.description} (stream {self.id})"
        if self._read_segment is None:
            raise ReceivedBlocksLostError(
                f"{what} were lost with their workers and the write-ahead log is off: {_listed(lost)}; "
                f"set {WRITE_AHEAD_LOG}=true (with a checkpoint directory) to have them rebuilt"
            )
        partitions = self.allocated[time_ms]
        segments = [self._read_segment(t) for t in self.taken_by.get(time_ms, ())]
        records = list(itertools.chain.from_iterable(segment or () for segment in segments))
        counts = [count for _, count in partitions]
        if None in segments or len(records) != sum(counts) or any(len(ids) != 1 for ids, _ in partitions):
            raise ReceivedBlocksLostError(
                f"{what} were lost with their workers and the write-ahead log no longer holds "
                f"them as taken ({len(records)} records logged for {sum(counts)} received, in "
                f"{len(partitions)} partitions): {_listed(lost)}"
            )
        wanted = set(lost)
        start = 0
        for (block_id,), count in partitions:
            if block_id in wanted:
                self._sc.executor.put_block(block_id, records[start : start + count])
            start += count
        _log.warning(
            "%s were lost with their workers: %d stored again from the write-ahead log", what, len(lost)
        )

    def num_records(self, time_ms: int) -> int | None:
        return sum(count for _, count in self.allocated.get(time_ms, ()))

    def clear_old(self, time_ms: int) -> None:
        """After the batch at ``time_ms`` completed: its records no longer count against the
        buffer's byte limit, and blocks out of the remember window are dropped."""
        super().clear_old(time_ms)
        self.tracker.release(time_ms)
        assert self.remember_ms is not None, "remember() runs at start"
        old = [t for t in self.allocated if t <= time_ms - self.remember_ms]
        forgotten = [
            block_id for t in old for block_ids, _ in self.allocated.pop(t) for block_id in block_ids
        ]
        for t in old:
            self.taken_by.pop(t, None)
        if forgotten:
            self._sc.executor.remove_blocks(forgotten)

    @property
    def buffered_bytes(self) -> int:
        """Bytes received and not yet processed (bounded by ``maxBufferedBytes``)."""
        return self.tracker.buffered_bytes


class SourceRDD(RDD):
    """One batch of a replayable source: partition i reads ``ranges[i]``, or the block of the
    records the source already fetched for it (``prefetched``: block ids by partition)."""

    def __init__(
        self,
        ctx,
        source: ReplayableSource,
        ranges: list[PositionRange],
        prefetched: dict[int, str] | None = None,
    ):
        super().__init__(ctx, len(ranges))
        self.source = source
        self.ranges = tuple(ranges)  # immutable: shipped to a worker once per stage, not per task
        self.prefetched = prefetched or {}

    def compute(self, split: int, context) -> Iterator:
        block_id = self.prefetched.get(split)
        if block_id is not None:
            try:
                return iter(context.blocks.get_block(block_id))
            except KeyError:  # dropped already: read the range again
                pass
        records = self.source.read(self.ranges[split])
        if hasattr(records, "close"):  # a generator: closed when the task ends, even part read
            context.addTaskCompletionListener(lambda _: records.close())
        return iter(records)

    def offsetRanges(self) -> list[PositionRange]:
        """The ranges this batch read (PySpark's ``rdd.offsetRanges()`` of direct streams)."""
        return list(self.ranges)


class DirectInputDStream(InputDStream):
    """The stream of a replayable source: each batch reads the ranges recorded for it."""

    kind = "direct"

    def __init__(self, ssc, source: ReplayableSource, description: str):
        super().__init__(ssc)
        self.source = source
        self.description = description
        #: batch time -> the ranges that batch reads (kept until a checkpoint covers them)
        self.recorded: dict[int, list[PositionRange]] = {}
        conf = ssc.sparkContext.getConf()
        rate = conf_rate(conf, source.max_rate_setting) if source.max_rate_setting else 0
        self._max_rate_per_partition = rate
        self._max_records = int(rate * self.slide_ms / 1000) if rate > 0 else None
        #: backpressure (None when off): its latest estimate bounds each batch
        self.rate_controller = RateController.for_stream(conf, self.id, self.slide_ms)
        self._initial_rate = initial_rate(conf) if self.rate_controller is not None else 0.0

    def start(self) -> None:
        self.source.start(SourceContext(self.id, self.slide_ms, self._sc.getConf()))
        if self.recorded:
            self.source.restore(dict(self.recorded))

    def stop(self) -> None:
        self.source.stop()

    def compute(self, time_ms: int) -> SourceRDD:
        ranges = self.recorded.get(time_ms)
        if ranges is not None:
            return SourceRDD(self._sc, self.source, ranges)
        ranges = self.recorded[time_ms] = list(self.source.next_ranges(time_ms, self._batch_max_records()))
        rdd = SourceRDD(self._sc, self.source, ranges, self._store_prefetched(time_ms, ranges))
        weakref.finalize(rdd, _drop_blocks, self._sc.executor, f"prefetched/{self.id}/{time_ms}/")
        return rdd

    def _store_prefetched(self, time_ms: int, ranges: list[PositionRange]) -> dict[int, str]:
        """Put what the source read while cutting ``ranges`` into the block store, so that the
        batch does not read it again; block ids by partition."""
        stored = {}
        for split, position_range in enumerate(ranges):
            records = self.source.prefetched(position_range)
            if records is not None:
                stored[split] = f"prefetched/{self.id}/{time_ms}/{split}"
                self._sc.executor.put_block(stored[split], list(records))
        return stored

    def _batch_max_records(self) -> int | dict[str, int] | None:
        """Records per partition this batch may read: the max rate per partition, or under
        backpressure the estimated rate (the initial rate before the first estimate) split
        across the source's partitions, capped by that max rate; at least 1.  The split is
        even, or by each partition's lag when the source reports lags (Spark's rule)."""
        if self.rate_controller is None:
            return self._max_records
        rate = self.rate_controller.latest_rate or self._initial_rate
        if rate <= 0:
            return self._max_records
        lags = self.source.lags()
        if lags:
            total = sum(lags.values())
            return {
                partition: self._per_partition(rate * lag / total if total else 0.0)
                for partition, lag in lags.items()
            }
        return self._per_partition(rate / max(1, len(self.source.partitions())))

    def _per_partition(self, rate: float) -> int:
        """A partition's records for one batch at ``rate``/s, capped by the max rate; at least 1."""
        return max(1, int(_bounded(rate, self._max_rate_per_partition) * self.slide_ms / 1000))

    def num_records(self, time_ms: int) -> int | None:
        ranges = self.recorded.get(time_ms, ())
        counts = [count for r in ranges if (count := r.count()) is not None]
        return sum(counts) if len(counts) == len(ranges) else None

    def clear_old(self, time_ms: int) -> None:
        super().clear_old(time_ms)
        assert self.remember_ms is not None, "remember() runs at start"
        for old in [t for t in self.recorded if t <= time_ms - self.remember_ms]:
            del self.recorded[old]

    def recorded_data(self) -> dict[int, list[list]]:
        """The recorded ranges as plain data, for checkpoints."""
        recorded = list(self.recorded.items())  # one step: the timer thread adds to it
        return {t: [r.to_data() for r in ranges] for t, ranges in recorded}

    def checkpoint_data(self, completed_ms: int) -> tuple[dict, list[int]]:
        positions = self.recorded_data()
        return {"positions": positions}, [t for t in positions if t > completed_ms]

    def restore_checkpoint_data(self, data: dict) -> None:
        if data.get("positions"):
            self.restore_recorded(data["positions"])

    def validate_checkpoint_data(self, data: dict) -> None:
        """The source checks every recorded range before any is read (``validate_positions``)."""
        ranges = [
            PositionRange.from_data(r) for batch in (data.get("positions") or {}).values() for r in batch
        ]
        if ranges:
            self.source.validate_positions(ranges)

    def restore_recorded(self, data: dict[int, list[list]]) -> None:
        """Put back ranges from a checkpoint, before ``start``; those batches replay exactly."""
        self.recorded = {int(t): [PositionRange.from_data(r) for r in ranges] for t, ranges in data.items()}


def _listed(block_ids: list[str]) -> str:
    """Block ids for a one-line message: the first few and how many."""
    return ", ".join(block_ids[:3]) + (f" and {len(block_ids) - 3} more" if len(block_ids) > 3 else "")


def conf_duration_ms(conf: SparkConf, setting: str, default: str) -> int:
    """A duration setting of ``conf``, or ``default`` when it is not set."""
    return duration_ms(conf.get(setting, default), setting)


_BYTE_UNITS = {
    "": 1,
    "b": 1,
    "k": 1 << 10,
    "kb": 1 << 10,
    "m": 1 << 20,
    "mb": 1 << 20,
    "g": 1 << 30,
    "gb": 1 << 30,
}


def conf_bytes(conf: SparkConf, setting: str, default: int) -> int:
    """A size setting written as Spark writes them (``64m``, ``512k``, ``1g`` or bytes)."""
    value = conf.get(setting, str(default)).strip().lower()
    digits = value.rstrip("kmgb")
    if not digits.isdigit() or value[len(digits) :] not in _BYTE_UNITS or int(digits) < 1:
        raise ValueError(f"{setting}={value!r} is not a size; write e.g. 64m, 512k or 1g")
    return int(digits) * _BYTE_UNITS[value[len(digits) :]]


def conf_rate(conf: SparkConf, setting: str) -> float:
    """A records-per-second setting; 0 (unlimited) when not set."""
    value = conf.get(setting, "0")
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"{setting}={value!r} is not a number of records per second") from None


def _bounded(rate: float, max_rate: float) -> float:
    """``rate`` capped by ``max_rate`` (0 or less: no cap)."""
    return min(rate, max_rate) if max_rate > 0 else rate


def as_input_stream(ssc, source: Any, description: str) -> InputDStream:
    """The input DStream for what a source kind's ``create`` returned."""
    if isinstance(source, Receiver):
        return ReceiverInputDStream(ssc, source, description)
    if isinstance(source, ReplayableSource):
        return DirectInputDStream(ssc, source, description)
    if isinstance(source, InputDStream):
        return source
    raise TypeError(
        f"the {description} returned {type(source).__name__}; a source kind must "
        "create a Receiver, a ReplayableSource or an InputDStream"
    )
