"""Backpressure: after each completed batch, estimate how many records per second the job
can take, and let the input streams that opt in ingest no faster.

Off unless ``spark.streaming.backpressure.enabled`` is true (Spark's default is false).
``PIDRateEstimator`` is the estimator (pure arithmetic, tested on its own numbers);
``RateController`` is what an input stream holds: the scheduler calls
``batch_completed`` after every completed batch, and the stream reads ``latest_rate`` (or is
told the new rate through ``on_rate``) when it next limits its ingestion.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from ember.conf import SparkConf

BACKPRESSURE_ENABLED = "spark.streaming.backpressure.enabled"
BACKPRESSURE_INITIAL_RATE = "spark.streaming.backpressure.initialRate"
PID_PROPORTIONAL = "spark.streaming.backpressure.pid.proportional"
PID_INTEGRAL = "spark.streaming.backpressure.pid.integral"
PID_DERIVED = "spark.streaming.backpressure.pid.derived"
PID_MIN_RATE = "spark.streaming.backpressure.pid.minRate"
RATE_ESTIMATOR = "spark.streaming.backpressure.rateEstimator"


def backpressure_enabled(conf: SparkConf) -> bool:
    """Whether ``spark.streaming.backpressure.enabled`` is true (default false)."""
    value = str(conf.get(BACKPRESSURE_ENABLED, "false")).strip().lower()
    if value not in ("true", "false"):
        raise ValueError(f"{BACKPRESSURE_ENABLED}={value!r} must be true or false")
    return value == "true"


def _number(conf: SparkConf, setting: str, default: float) -> float:
    value = conf.get(setting, None)
    if value is None:
        return default
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"{setting}={value!r} is not a number") from None


def initial_rate(conf: SparkConf) -> float:
    """``spark.streaming.backpressure.initialRate``: records/s before the first estimate
    (0 when not set: no bound from backpressure until then)."""
    return _number(conf, BACKPRESSURE_INITIAL_RATE, 0.0)


class PIDRateEstimator:
    """A proportional-integral-derivative controller of the ingestion rate (records/s).

    The controlled quantity is the rate the last batch was processed at (records divided by
    its processing delay).  The error is how far the previous estimate was above it; the
    "integral" term is the backlog, the records the scheduling delay stands for, spread over
    a batch interval; the derivative is the error's change per second.  The first usable
    batch only primes the controller (no estimate); a batch with no records, no processing
    delay, or a time not after the last one gives no estimate either.  Estimates never go
    below ``min_rate``.
    """

    def __init__(
        self,
        batch_interval_ms: int,
        proportional: float = 1.0,
        integral: float = 0.2,
        derivative: float = 0.0,
        min_rate: float = 100.0,
    ):
        checks = [
            (batch_interval_ms > 0, "the batch interval must be positive"),
            (proportional >= 0, f"{PID_PROPORTIONAL} must be >= 0, got {proportional}"),
            (integral >= 0, f"{PID_INTEGRAL} must be >= 0, got {integral}"),
            (derivative >= 0, f"{PID_DERIVED} must be >= 0, got {derivative}"),
            (min_rate > 0, f"{PID_MIN_RATE} must be > 0, got {min_rate}"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)
        self.batch_interval_ms = batch_interval_ms
        self.proportional = proportional
        self.integral = integral
        self.derivative = derivative
        self.min_rate = min_rate
        self._primed = False
        self._latest_time_ms = -1
        self._latest_rate = -1.0
        self._latest_error = -1.0

    @classmethod
    def from_conf(cls, conf: SparkConf, batch_interval_ms: int) -> PIDRateEstimator:
        kind = str(conf.get(RATE_ESTIMATOR, "pid")).strip().lower()
        if kind != "pid":
            raise ValueError(f"{RATE_ESTIMATOR}={kind!r}: only 'pid' is available")
        return cls(
            batch_interval_ms,
            _number(conf, PID_PROPORTIONAL, 1.0),
            _number(conf, PID_INTEGRAL, 0.2),
            _number(conf, PID_DERIVED, 0.0),
            _number(conf, PID_MIN_RATE, 100.0),
        )

    def compute(
        self, time_ms: int, num_records: int, processing_delay_ms: int, scheduling_delay_ms: int
    ) -> float | None:
        """The new rate after the batch that completed at ``time_ms``, or None (no estimate)."""
        if time_ms <= self._latest_time_ms or num_records <= 0 or processing_delay_ms <= 0:
            return None
        seconds_since_update = (time_ms - self._latest_time_ms) / 1000.0
        processing_rate = num_records * 1000.0 / processing_delay_ms
        error = self._latest_rate - processing_rate
        backlog_error = scheduling_delay_ms * processing_rate / self.batch_interval_ms
        error_change = (error - self._latest_error) / seconds_since_update
        new_rate = max(
            self._latest_rate
            - self.proportional * error
            - self.integral * backlog_error
            - self.derivative * error_change,
            self.min_rate,
        )
        self._latest_time_ms = time_ms
        if not self._primed:
            self._primed = True
            self._latest_rate = processing_rate
            self._latest_error = 0.0
            return None
        self._latest_rate = new_rate
        self._latest_error = error
        return new_rate


class RateController:
    """One input stream's rate under backpressure: ``latest_rate`` is the last estimate
    (records/s; 0 until there is one), ``on_rate`` (if given) is called with each new one."""

    def __init__(
        self, stream_id: int, estimator: PIDRateEstimator, on_rate: Callable[[float], None] | None = None
    ):
        self.stream_id = stream_id
        self.estimator = estimator
        self.on_rate = on_rate
        self._lock = threading.Lock()
        self._latest_rate = 0.0

    @classmethod
    def for_stream(
        cls,
        conf: SparkConf,
        stream_id: int,
        batch_interval_ms: int,
        on_rate: Callable[[float], None] | None = None,
    ) -> RateController | None:
        """The controller of an input stream, or None when backpressure is off."""
        if not backpressure_enabled(conf):
            return None
        return cls(stream_id, PIDRateEstimator.from_conf(conf, batch_interval_ms), on_rate)

    @property
    def latest_rate(self) -> float:
        with self._lock:
            return self._latest_rate

    def batch_completed(
        self, processing_end_ms: int, num_records: int, processing_delay_ms: int, scheduling_delay_ms: int
    ) -> float | None:
        """Update the estimate after a completed batch; returns the new rate, if any."""
        with self._lock:
            rate = self.estimator.compute(
                processing_end_ms, num_records, processing_delay_ms, scheduling_delay_ms
            )
            if rate is not None:
                self._latest_rate = rate
        if rate is not None and self.on_rate is not None:
            self.on_rate(rate)
        return rate


def update_rate_controllers(
    input_streams,
    records_by_stream: dict[int, int],
    processing_end_ms: int,
    processing_delay_ms: int,
    scheduling_delay_ms: int,
) -> None:
    """After a completed batch: update the controller of each input stream that has one and
    whose record count the batch knows (Spark's rate controllers do the same)."""
    for stream in input_streams:
        controller = getattr(stream, "rate_controller", None)
        if controller is not None and stream.id in records_by_stream:
            controller.batch_completed(
                processing_end_ms, records_by_stream[stream.id], processing_delay_ms, scheduling_delay_ms
            )
