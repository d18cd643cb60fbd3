"""Input streams: where each batch's data enters the graph.

``InputDStream`` is the base every source builds on, in the core and in connector plugins:

* ``super().__init__(ssc)`` registers the stream with the context's graph; its slide is the
  batch interval.
* ``compute(time_ms) -> RDD | None`` returns the data of the batch at ``time_ms`` (an integer
  number of milliseconds since the epoch; batch times are ``zero_ms + k * batch_ms``).  It runs
  on the driver's scheduler thread when the batch is generated, once per batch, in order.
* ``start()`` runs in ``ssc.start()`` before the first batch; ``stop()`` runs in ``ssc.stop()``,
  after the last batch a graceful stop processes.
* ``num_records(time_ms) -> int | None`` is the record count reported in the listener's
  ``batchInfo().numRecords()`` and ``streamIdToInputInfo()`` (``None``: the source does not
  count, and the stream is left out of ``streamIdToInputInfo()``).

``self._ssc`` is the StreamingContext and ``self._ssc.sparkContext`` the SparkContext.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ember.rdd import RDD
from ember.streaming.dstream import DStream

if TYPE_CHECKING:
    from ember.streaming.context import StreamingContext


class InputDStream(DStream):
    """Base of every input stream (see the module docstring for the contract)."""

    kind = "input"

    def __init__(self, ssc: StreamingContext):
        super().__init__(ssc, [], slide_ms=ssc._batch_ms)
        ssc._graph.add_input(self)

    def start(self) -> None:
        """Called on the driver by ``ssc.start()``, before the first batch."""

    def stop_receiving(self) -> None:
        """Called by a graceful ``ssc.stop()`` before its last batches are cut: a push source
        stops accepting data here, so everything it accepted is in those batches (Spark stops
        receivers first for the same reason).  Sources that pull per batch need nothing."""

    def stop(self) -> None:
        """Called by ``ssc.stop()``; on a graceful stop, after the last batch is processed."""

    def num_records(self, time_ms: int) -> int | None:
        """Records in the batch at ``time_ms``, for ``batchInfo().numRecords()``; None if unknown."""
        return None


class QueueInputDStream(InputDStream):
    """``ssc.queueStream``: RDDs taken from a queue, one per batch or all at once.

    As in PySpark, once the queue is empty a batch gets ``default`` when one was given, else
    an empty RDD of one partition.
    """

    kind = "queue"

    def __init__(self, ssc: StreamingContext, queue: deque, one_at_a_time: bool, default: RDD | None):
        super().__init__(ssc)
        self.queue = queue
        self.one_at_a_time = one_at_a_time
        self.default = default

    def compute(self, time_ms: int) -> RDD:
        queue = self.queue
        if queue:
            if self.one_at_a_time:
                return queue.popleft()
            taken = [queue.popleft() for _ in range(len(queue))]
            return self._sc.union(taken)
        if self.default is not None:
            return self.default
        return self._sc.parallelize([], 1)


def as_queue(ssc: StreamingContext, rdds: Iterable) -> deque:
    """PySpark's queueStream input: RDDs, or lists that become RDDs (``parallelize``)."""
    items = deque(rdds)
    for index, item in enumerate(items):
        if not isinstance(item, RDD):
            if isinstance(item, (str, bytes)) or not hasattr(item, "__iter__"):
                raise TypeError(
                    f"queueStream expects RDDs or lists, but item {index} is "
                    f"{type(item).__name__} {item!r:.80}"
                )
            items[index] = ssc.sparkContext.parallelize(item)
    return items
