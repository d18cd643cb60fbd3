"""Reading Spark duration settings the way Spark writes them (``200ms``, ``2s``, ``1min``, or
plain milliseconds); a malformed value is an error that names the setting."""

from __future__ import annotations

import re

_DURATION = re.compile(r"^\s*(\d+)\s*(ms|s|m|min)?\s*$")
_UNIT_MS = {None: 1, "ms": 1, "s": 1000, "m": 60_000, "min": 60_000}


def duration_ms(value: str | int, setting: str) -> int:
    """Milliseconds of a Spark duration setting such as ``"200ms"``, ``"2s"`` or ``"500"``."""
    match = _DURATION.match(str(value))
    if match is None:
        raise ValueError(f"{setting}={value!r} is not a duration; write e.g. 200ms, 2s or 1min")
    return int(match.group(1)) * _UNIT_MS[match.group(2)]
