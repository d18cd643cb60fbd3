"""coalesce and repartition with Spark's partition layouts.

Without a shuffle, output partition ``i`` reads the parent partitions ``[i*n/k, (i+1)*n/k)``
(Spark's coalescer when no locality is known).  With a shuffle, Spark deals each input
partition's records round robin, starting at a pseudo-random output partition seeded by the
input partition's index; PySpark deals them in batches of 10 records.  The seed derivation
(Spark's XORShiftRandom, seeded through MurmurHash3) is reproduced here so that each
output partition holds the same records, in the same order, as in PySpark.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ember._typing import T

if TYPE_CHECKING:
    from ember.rdd.rdd import RDD

_PYSPARK_SHUFFLE_BATCH = 10
_MASK32 = 0xFFFFFFFF
_MASK64 = 0xFFFFFFFFFFFFFFFF
_ARRAY_SEED = 0x3C074A61  # scala.util.hashing.MurmurHash3.arraySeed


def _rotate_left32(value: int, bits: int) -> int:
    return ((value << bits) | (value >> (32 - bits))) & _MASK32


def _mix_k(k: int) -> int:
    k = (k * 0xCC9E2D51) & _MASK32
    return (_rotate_left32(k, 15) * 0x1B873593) & _MASK32


def _murmur3_bytes(data: bytes, seed: int) -> int:
    """Scala's ``MurmurHash3.bytesHash`` (32-bit, unsigned result) of a whole number of words."""
    h = seed & _MASK32
    for start in range(0, len(data) - len(data) % 4, 4):
        h ^= _mix_k(int.from_bytes(data[start : start + 4], "little"))
        h = (_rotate_left32(h, 13) * 5 + 0xE6546B64) & _MASK32
    tail = data[len(data) - len(data) % 4 :]
    if tail:
        h ^= _mix_k(int.from_bytes(tail, "little"))
    h ^= len(data)
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _MASK32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _MASK32
    return h ^ (h >> 16)


class _XorShiftRandom:
    """Spark's XORShiftRandom: enough of it for ``nextInt(bound)``."""

    def __init__(self, seed: int):
        data = (seed & _MASK64).to_bytes(8, "big")
        low = _murmur3_bytes(data, _ARRAY_SEED)
        high = _murmur3_bytes(data, low)
        self.state = (high << 32) | low

    def _next(self, bits: int) -> int:
        state = self.state
        state ^= (state << 21) & _MASK64
        state ^= state >> 35
        state ^= (state << 4) & _MASK64
        self.state = state
        return state & ((1 << bits) - 1)

    def next_int(self, bound: int) -> int:
        """java.util.Random.nextInt(bound) over this generator's bits."""
        r = self._next(31)
        if bound & (bound - 1) == 0:
            return (bound * r) >> 31
        u = r
        r = u % bound
        while u - r + bound - 1 > 0x7FFFFFFF:  # Java's int overflow test rejects this draw
            u = self._next(31)
            r = u % bound
        return r


def first_target(split: int, num_partitions: int) -> int:
    """The output partition Spark deals partition ``split``'s first batch to, minus one."""
    return _XorShiftRandom(split).next_int(num_partitions)


def coalesce_groups(parent_count: int, num_partitions: int) -> list[range]:
    """The parent partitions each output partition reads when coalescing without a shuffle."""
    if num_partitions >= parent_count:
        return [range(i, i + 1) for i in range(parent_count)]
    return [
        range(i * parent_count // num_partitions, (i + 1) * parent_count // num_partitions)
        for i in range(num_partitions)
    ]


class RepartitioningMixin:
    def coalesce(self: RDD[T], numPartitions: int, shuffle: bool = False) -> RDD[T]:
        if not isinstance(numPartitions, int) or numPartitions < 1:
            raise ValueError(f"Number of partitions must be positive, got {numPartitions!r}")
        if not shuffle:
            from ember.rdd.lineage import CoalescedRDD

            return CoalescedRDD(self, coalesce_groups(self.getNumPartitions(), numPartitions))

        def deal(split, iterator):
            target = first_target(split, numPartitions)
            batch: list = []
            for record in iterator:
                batch.append(record)
                if len(batch) == _PYSPARK_SHUFFLE_BATCH:
                    target += 1
                    yield target, batch
                    batch = []
            if batch:
                yield target + 1, batch

        dealt = self.mapPartitionsWithIndex(deal)._shuffle(numPartitions, _batch_target)
        return dealt.mapPartitionsWithIndex(_unbatched)

    def repartition(self: RDD[T], numPartitions: int) -> RDD[T]:
        return self.coalesce(numPartitions, shuffle=True)


def _batch_target(target: int) -> int:
    return target


def _unbatched(_, iterator):
    for _, batch in iterator:
        yield from batch
