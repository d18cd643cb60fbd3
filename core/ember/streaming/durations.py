"""Durations: PySpark takes seconds (int or float); ember works in integer milliseconds.

Converting once, with a check that the value is a whole number of milliseconds, is what lets
``window(1.5, 0.5)`` be validated as a multiple of the parent's slide without float error
(Spark does the same with its millisecond ``Duration``).
"""

from __future__ import annotations

import datetime as _dt
import numbers


def to_ms(seconds, what: str) -> int:
    """``seconds`` as a positive whole number of milliseconds; ``what`` names it in errors."""
    if isinstance(seconds, bool) or not isinstance(seconds, numbers.Real):
        raise TypeError(f"{what} must be a number of seconds, got {type(seconds).__name__} {seconds!r}")
    millis = round(seconds * 1000)
    if abs(seconds * 1000 - millis) > 1e-6 * max(1, abs(millis)):
        raise ValueError(f"{what} must be a whole number of milliseconds, got {seconds!r} s")
    if millis <= 0:
        raise ValueError(f"{what} must be positive, got {seconds!r} s")
    return int(millis)


def format_ms(millis: int) -> str:
    """A duration for people: Spark writes ``1500 ms``."""
    return f"{millis} ms"


def require_multiple(millis: int, of_ms: int, what: str, stream: str) -> None:
    """Raise when ``millis`` is not a whole multiple of the parent's slide ``of_ms``."""
    if millis % of_ms != 0:
        raise ValueError(
            f"The {what} of {stream} ({format_ms(millis)}) must be a multiple of the slide "
            f"duration of its parent DStream ({format_ms(of_ms)})"
        )


def ms_to_datetime(time_ms: int) -> _dt.datetime:
    """A batch time as PySpark hands it to user functions: a naive local datetime."""
    return _dt.datetime.fromtimestamp(time_ms / 1000.0)


def datetime_to_ms(when) -> int:
    """A time given by a user (datetime or seconds since the epoch) in milliseconds."""
    if isinstance(when, _dt.datetime):
        return int(round(when.timestamp() * 1000))
    if isinstance(when, numbers.Real) and not isinstance(when, bool):
        return int(round(float(when) * 1000))
    raise TypeError(f"expected a datetime or seconds since the epoch, got {type(when).__name__} {when!r}")
