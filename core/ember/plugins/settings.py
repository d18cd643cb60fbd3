"""The Spark settings that the author API honours, read from a SparkConf.

Durations are written as Spark writes them (``200ms``, ``2s``, ``1min``, or plain
milliseconds); a malformed value is an error that names the setting.
"""
from __future__ import annotations

import re

from ember.conf import SparkConf

BLOCK_INTERVAL = "spark.streaming.blockInterval"
RECEIVER_MAX_RATE = "spark.streaming.receiver.maxRate"
RECEIVER_RESTART_DELAY = "spark.streaming.receiverRestartDelay"

_DURATION = re.compile(r"^\s*(\d+)\s*(ms|s|m|min)?\s*$")
_UNIT_MS = {None: 1, "ms": 1, "s": 1000, "m": 60_000, "min": 60_000}


def duration_ms(value: str | int, setting: str) -> int:
    """Milliseconds of a Spark duration setting such as ``"200ms"``, ``"2s"`` or ``"500"``."""
    match = _DURATION.match(str(value))
    if match is None:
        raise ValueError(f"{setting}={value!r} is not a duration; write e.g. 200ms, 2s or 1min")
    return int(match.group(1)) * _UNIT_MS[match.group(2)]


def conf_duration_ms(conf: SparkConf, setting: str, default: str) -> int:
    """A duration setting of ``conf``, or ``default`` when it is not set."""
    return duration_ms(conf.get(setting, default), setting)


def conf_rate(conf: SparkConf, setting: str) -> float:
    """A records-per-second setting; 0 (unlimited) when not set."""
    value = conf.get(setting, "0")
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"{setting}={value!r} is not a number of records per second") from None
