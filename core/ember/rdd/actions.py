"""Actions: operations that run a job and return values to the driver."""
from __future__ import annotations

from functools import reduce as _reduce
from typing import Callable


class ActionsMixin:
    def collect(self) -> list:
        return [record for part in self._run_job(list) for record in part]

    def count(self) -> int:
        return sum(self._run_job(lambda iterator: sum(1 for _ in iterator)))

    def reduce(self, f: Callable):
        sentinel = object()

        def reduce_partition(iterator):
            value = _reduce(f, iterator, sentinel)
            return [] if value is sentinel else [value]

        values = [v for part in self._run_job(reduce_partition) for v in part]
        if not values:
            raise ValueError("Can not reduce() empty RDD")
        return _reduce(f, values)
