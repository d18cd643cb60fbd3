"""Checks on the records a key/value operation receives, with errors that say what was found."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NoReturn


def not_a_pair(record, operation: str) -> NoReturn:
    """Raise the error for a record that is not a (key, value) pair given to ``operation``."""
    raise TypeError(
        f"{operation} expects an RDD of (key, value) pairs, but found "
        f"{type(record).__name__} {record!r:.80}"
    )


def pairs_of(records: Iterable, operation: str) -> Iterator[tuple]:
    """The records unpacked as (key, value); a clear TypeError at the first that is not a pair."""
    for record in records:
        try:
            key, value = record
        except (TypeError, ValueError):
            not_a_pair(record, operation)
        yield key, value
