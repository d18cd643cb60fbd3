"""A receiver as an executor service: it runs, and keeps what it receives, where the executor
puts it (a worker process of the local[N] pool; a thread of the driver for local[1]).

``ReceiverService`` is what travels there: the receiver, pickled as it is before ``onStart``
(its locks and queues arrive new and empty), and the stream's block interval, rate and
restart delay, with the write-ahead log's wrapper when the log is on.  Where it runs, it
supervises the receiver as a driver thread would (``ReceiverSupervisor``, ``BlockBuffer``,
the log in front of the buffer).  At each batch time the driver asks it to take the blocks
received since the previous batch: it stores them in the executor's block store and answers
with the batch's partitions (each the ids of the blocks it reads, and its record count), so
records never pass through the driver.  A batch has as many partitions as Spark would cut
blocks (one per block interval that received records), rounded up to a multiple of the
workers when each gets enough records; its records, in order, are cut into partitions of
about equal counts, so no worker waits for another's larger block.  Listener events
and restarts go to the driver as messages.  Started again after its worker died, it first
stores again what the log holds that no batch took (nothing accepted is lost with the log on).

The records a batch took count against ``maxBufferedBytes`` (``BlockBuffer``) until the driver
says the batch is done with them (``("release", time_ms)``, from ``clear_old``).

Messages from the driver: ``("take", time_ms)``, ``("release", time_ms)``,
``("rate", records_per_s)``, ``("stop_receiving",)``, ``("receiver", message)`` for
``Receiver.onDriverMessage``.  To the driver: ``("ready", where)``, ``("taken", time_ms,
[((block id, ...), count), ...])``, ``("buffered", bytes, held back count)``,
``("event", name, info fields, restarts)``.
"""

from __future__ import annotations

import io
import itertools
import os
import pickle
import queue
import threading
from collections.abc import Callable
from typing import Any, ClassVar

import cloudpickle

from ember.executor.base import Service, ServiceHost
from ember.plugins.receiver import Receiver
from ember.streaming.blocks import DEFAULT_MAX_BUFFERED_BYTES, BlockBuffer, RateLimiter
from ember.streaming.receiver_supervisor import ReceiverSupervisor

_instances = itertools.count()
#: a batch is cut into more partitions than it has blocks only when each gets this many records
MIN_SPREAD_RECORDS = 1000
#: without the write-ahead log, a block is stored (encoded, smaller) in pieces of this many
#: records as they fill, rather than kept as Python objects until its batch
MAX_BLOCK_RECORDS = 50_000
#: a batch's partitions: the ids of the blocks each reads, in order, and its record count
Partitions = list[tuple[tuple[str, ...], int]]
#: how long a message waits for the service's buffer to be set up after a (re)start
SETUP_TIMEOUT_S = 60.0


class ReceiverService(Service):
    _host: ServiceHost
    _limiter: RateLimiter
    _blocks: BlockBuffer
    _buffer: Any  # the block buffer, or the write-ahead log in front of it
    _supervisor: ReceiverSupervisor

    def __init__(
        self,
        receiver: Receiver,
        stream_id: int,
        block_prefix: str,
        block_interval_ms: int,
        rate: float,
        restart_delay_ms: int,
        wrap_log: Callable | None,
        parallelism: int = 1,
        max_buffered_bytes: int = DEFAULT_MAX_BUFFERED_BYTES,
        name: str = "a receiver",
    ):
        self.receiver = receiver
        self.parallelism = parallelism
        self.stream_id = stream_id
        self.block_prefix = block_prefix
        self.block_interval_ms = block_interval_ms
        self.rate = rate
        self.restart_delay_ms = restart_delay_ms
        self.wrap_log = wrap_log
        self.max_buffered_bytes = max_buffered_bytes
        self.name = name
        self._setup()

    def _setup(self) -> None:
        """The parts that live only where the service runs."""
        self._ready = threading.Event()  # the parts below, set by run(), are there
        self._stopped = threading.Event()
        self._block_ids = itertools.count()
        self._last_taken_ms: int | None = None
        self._storing = threading.Lock()
        self._stored: list[tuple[str, int]] = []  # pieces stored ahead of their batch
        self._instance = f"{os.getpid()}-{next(_instances)}"

    def __getstate__(self) -> dict:
        state = {name: value for name, value in vars(self).items() if not name.startswith("_")}
        state["receiver"] = _fresh_pickle(self.receiver)
        return state

    def __setstate__(self, state: dict) -> None:
        state["receiver"] = pickle.loads(state["receiver"])
        self.__dict__.update(state)
        self._setup()

    # -- where it runs ----------------------------------------------------------------------------
    def run(self, host: ServiceHost) -> None:
        self._host = host
        self._limiter = RateLimiter(self.rate)
        wrap_log = self.wrap_log
        logged = wrap_log is not None
        self._blocks = BlockBuffer(
            self.block_interval_ms,
            self._limiter,
            max_bytes=self.max_buffered_bytes,
            name=self.name,
            max_block_records=None if logged else MAX_BLOCK_RECORDS,
        )
        if wrap_log is not None:
            self._buffer = wrap_log(self._blocks)
            self._buffer.store_unsealed_again()
        else:
            self._buffer = self._blocks
            threading.Thread(
                target=self._store_sealed_blocks, daemon=True, name=f"ember-receiver-{self.stream_id}-blocks"
            ).start()
        self._supervisor = ReceiverSupervisor(
            self.receiver, self.stream_id, self._buffer, self.restart_delay_ms, self._post, host.where
        )
        self._ready.set()
        host.send(("ready", host.where))
        self._supervisor.start()
        self._stopped.wait()
        self._supervisor.stop()

    def on_message(self, message: tuple) -> None:
        if not self._ready.wait(SETUP_TIMEOUT_S):
            return
        kind = message[0]
        if kind == "take":
            self._take(message[1])
        elif kind == "release":
            self._blocks.release(message[1])
            self._send_buffered()
        elif kind == "rate":
            self._limiter.per_second = message[1]
        elif kind == "stop_receiving":
            self._stop_receiving()
        elif kind == "receiver":
            self.receiver.onDriverMessage(message[1])

    def stop(self) -> None:
        if self._ready.is_set():
            self._stop_receiving()
        self._stopped.set()

    def _stop_receiving(self) -> None:
        self._blocks.close()
        self._supervisor.stop()

    def _take(self, time_ms: int) -> None:
        """Store the blocks received since the last batch and tell the driver the batch's
        partitions (once per batch: a take asked again, when a restart raced with it, is not
        answered twice)."""
        if self._last_taken_ms is not None and time_ms <= self._last_taken_ms:
            return
        self._last_taken_ms = time_ms
        with self._storing:
            pieces, self._stored = self._stored, []
            blocks = self._buffer.take_blocks(time_ms)
            total = sum(count for _, count in pieces) + sum(map(len, blocks))
            parts = partition_count(self._blocks.intervals_taken, total, self.parallelism)
            if not pieces:  # all still in memory: cut exactly, one stored piece per partition
                blocks = cut_evenly(blocks, parts)
            pieces += self._store(blocks)
        self._host.send(("taken", time_ms, group_evenly(pieces, parts)))
        self._send_buffered()

    def _send_buffered(self) -> None:
        """Tell the driver the bytes received and not yet processed (for monitoring)."""
        self._host.send(("buffered", self._blocks.buffered_bytes, self._blocks.held_back))

    def _store(self, blocks: list[list]) -> list[tuple[str, int]]:
        stored = []
        for records in blocks:
            # ends with "/": ids are also prefixes (remove_blocks), and .../1 must not match .../10
            block_id = f"{self.block_prefix}{self._instance}/{next(self._block_ids)}/"
            self._host.blocks.put_block(block_id, records)
            stored.append((block_id, len(records)))
        return stored

    def _store_sealed_blocks(self) -> None:
        """Without the log: store each block as soon as it is sealed, so that a fast source's
        records wait for their batch encoded in the block store, not as Python objects."""
        while not self._stopped.is_set():
            self._blocks.wait_sealed(self.block_interval_ms / 4000.0)
            with self._storing:
                for records, counted in self._blocks.take_sealed():
                    [(block_id, count)] = self._store([records])
                    self._stored.append((block_id, count))
                    size = self._host.blocks.block_bytes(block_id)
                    if size is not None:  # from now on it counts as what the store holds
                        self._blocks.stored(counted, size)

    def _post(self, event_name: str, info) -> None:
        self._host.send(("event", event_name, dict(vars(info)), self._supervisor.restarts))


def partition_count(intervals: int, records: int, workers: int) -> int:
    """How many partitions a batch of ``records`` gets: one per block interval that received
    records (Spark's blocks), rounded up to a multiple of the ``workers`` when each partition
    still gets ``MIN_SPREAD_RECORDS`` (a fast source can fill a whole batch within one block
    interval, and every worker should take part)."""
    parts = max(1, intervals)
    rounded = -(-parts // workers) * workers
    if records >= rounded * MIN_SPREAD_RECORDS:
        return rounded
    return max(1, min(parts, records))


def cut_evenly(blocks: list[list], parts: int) -> list[list]:
    """The records of ``blocks``, in order, cut into ``parts`` lists (none when there are no
    records) whose lengths differ by one at most."""
    records = list(itertools.chain.from_iterable(blocks))
    total = len(records)
    if not total:
        return []
    return [records[total * index // parts : total * (index + 1) // parts] for index in range(parts)]


def group_evenly(pieces: list[tuple[str, int]], parts: int) -> Partitions:
    """Consecutive stored pieces grouped into at most ``parts`` partitions of about equal
    record counts: a piece goes to the partition its middle record falls in."""
    total = sum(count for _, count in pieces)
    groups: list[tuple[list[str], int]] = []
    start = 0
    last = -1
    for block_id, count in pieces:
        index = min(parts - 1, (2 * start + count) * parts // (2 * total)) if total else 0
        if index != last:
            groups.append(([], 0))
            last = index
        ids, records = groups[-1]
        ids.append(block_id)
        groups[-1] = (ids, records + count)
        start += count
    return [(tuple(ids), records) for ids, records in groups if records]


class _FreshPickler(cloudpickle.CloudPickler):
    """Pickles a receiver before its start: locks, events and queues become new, empty ones."""

    _NEW: ClassVar[dict[Any, Callable[[], Any]]] = {
        type(threading.Lock()): threading.Lock,
        type(threading.RLock()): threading.RLock,
        queue.SimpleQueue: queue.SimpleQueue,
    }

    def reducer_override(self, obj):
        make = self._NEW.get(type(obj))
        if make is not None:
            return make, ()
        return super().reducer_override(obj)


def _fresh_pickle(receiver: Receiver) -> bytes:
    buffer = io.BytesIO()
    _FreshPickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(receiver)
    return buffer.getvalue()
