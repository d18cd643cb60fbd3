"""Backpressure (spark.streaming.backpressure.*): the PID rate estimator's numbers, worked out
by hand from its formula, and the estimated rate bounding batches of a replayable source on
a manual clock (and a receiver's rate limiter), only when the setting is on."""

from __future__ import annotations

import sys

import cloudpickle
import pytest

from ember.conf import SparkConf
from ember.plugins import PositionRange, Receiver, ReplayableSource
from ember.streaming.rate_control import PIDRateEstimator, RateController
from ember.streaming.source_streams import as_input_stream
from ember.testing import advance_batches, manual_streaming_context

cloudpickle.register_pickle_by_value(sys.modules[__name__])  # tasks may run in worker processes

MAX_RATE = "spark.streaming.test.maxRatePerPartition"


# -- the estimator ------------------------------------------------------------------------------
# newRate = latestRate - P * (latestRate - processingRate)
#                      - I * (schedulingDelay * processingRate / batchInterval)
#                      - D * (error - latestError) / secondsSinceLastUpdate,   at least minRate
# where processingRate = records / processingDelay (per second).  The first batch only primes.


def test_pid_estimates_by_hand_with_the_default_gains():
    pid = PIDRateEstimator(1000)  # P 1.0, I 0.2, D 0.0, minRate 100
    # primes: processing rate 1000 / 0.5 s = 2000; no estimate yet
    assert pid.compute(1000, 1000, 500, 0) is None
    # rate 1000 / 0.8 s = 1250; error 2000 - 1250 = 750; no backlog: 2000 - 750 = 1250
    assert pid.compute(2000, 1000, 800, 0) == 1250.0
    # rate 1000; error 250; backlog 500 ms * 1000/s / 1000 ms = 500: 1250 - 250 - 0.2 * 500 = 900
    assert pid.compute(3000, 1000, 1000, 500) == 900.0
    # no estimate: same time again, no records, no processing delay
    assert pid.compute(3000, 1000, 1000, 0) is None
    assert pid.compute(4000, 0, 100, 0) is None
    assert pid.compute(4000, 100, 0, 0) is None
    # rate 10; error 890; backlog 2000 * 10 / 1000 = 20: 900 - 890 - 4 = 6, raised to minRate 100
    assert pid.compute(5000, 10, 1000, 2000) == 100.0
    # latest rate is now 100 and latest error 890; rate 200; error -100: 100 + 100 = 200
    assert pid.compute(6000, 200, 1000, 0) == 200.0


def test_pid_derivative_and_integral_gains_from_the_conf():
    conf = (
        SparkConf()
        .set("spark.streaming.backpressure.pid.proportional", "0.5")
        .set("spark.streaming.backpressure.pid.integral", "0.1")
        .set("spark.streaming.backpressure.pid.derived", "0.5")
        .set("spark.streaming.backpressure.pid.minRate", "10")
    )
    pid = PIDRateEstimator.from_conf(conf, 2000)
    assert pid.compute(1000, 1000, 500, 0) is None  # primes at 2000/s
    # 2 s later: rate 1250; error 750; backlog 400 * 1250 / 2000 = 250; d(error)/dt = 750 / 2
    # 2000 - 0.5 * 750 - 0.1 * 250 - 0.5 * 375 = 2000 - 375 - 25 - 187.5 = 1412.5
    assert pid.compute(3000, 1000, 800, 400) == 1412.5


@pytest.mark.parametrize(
    "setting, value", [("proportional", "-1"), ("integral", "-0.1"), ("derived", "-2"), ("minRate", "0")]
)
def test_pid_rejects_bad_gains_naming_the_setting(setting, value):
    conf = SparkConf().set(f"spark.streaming.backpressure.pid.{setting}", value)
    with pytest.raises(ValueError, match=f"pid.{setting}"):
        PIDRateEstimator.from_conf(conf, 1000)


def test_rate_controller_only_when_enabled_and_keeps_the_latest_estimate():
    assert RateController.for_stream(SparkConf(), 0, 1000) is None
    assert (
        RateController.for_stream(SparkConf().set("spark.streaming.backpressure.enabled", "false"), 0, 1000)
        is None
    )
    seen = []
    controller = RateController.for_stream(
        SparkConf().set("spark.streaming.backpressure.enabled", "true"), 0, 1000, seen.append
    )
    assert controller.latest_rate == 0
    controller.batch_completed(1000, 1000, 500, 0)
    controller.batch_completed(2000, 1000, 800, 0)
    controller.batch_completed(2000, 5, 800, 0)  # not later: ignored
    assert controller.latest_rate == 1250.0 and seen == [1250.0]


# -- a replayable source under backpressure, end to end ------------------------------------------
class BacklogSource(ReplayableSource):
    """Two partitions of integers; each batch 5000 more records are waiting in each."""

    max_rate_setting = MAX_RATE

    def __init__(self):
        self.cursor = {"a": 0, "b": 0}
        self.batches = 0

    def partitions(self):
        return ["a", "b"]

    def next_ranges(self, time_ms, max_records_per_partition):
        self.batches += 1
        ranges = []
        for name in self.partitions():
            start = self.cursor[name]
            end = self.batches * 5000
            if max_records_per_partition is not None:
                end = min(end, start + max_records_per_partition)
            ranges.append(PositionRange(name, start, end))
            self.cursor[name] = end
        return ranges

    def read(self, position_range):
        return range(position_range.start, position_range.end)


def run_backlog(sc, settings: dict[str, str], batches: int = 4) -> list[list[int]]:
    """Records read per partition in each batch; each batch takes 100 ms on the manual clock."""
    for key, value in settings.items():
        sc._conf.set(key, value)
    ssc = manual_streaming_context(sc, batch_duration=1)
    stream = as_input_stream(ssc, BacklogSource(), "the backlog source")
    counts = []

    def process(rdd):
        counts.append([r.count() for r in rdd.offsetRanges()])
        rdd.count()
        ssc.clock.advance(100)

    stream.foreachRDD(process)
    ssc.start()
    try:
        advance_batches(ssc, batches)
    finally:
        ssc.stop(stopSparkContext=False)
    return counts


def test_backpressure_off_reads_the_whole_backlog(local_sc):
    assert run_backlog(local_sc, {}) == [[5000, 5000]] * 4


def test_backpressure_bounds_batches_by_the_estimated_rate(local_sc):
    counts = run_backlog(
        local_sc,
        {"spark.streaming.backpressure.enabled": "true", "spark.streaming.backpressure.initialRate": "200"},
    )
    # batches 1-2: the initial rate, 200/s split evenly over the 2 partitions.  Batch 1 primes
    # the estimator (200 records in 0.1 s: 2000/s); batch 2 runs at 2000/s too, so the estimate
    # is 2000 and batch 3 reads 1000 per partition.  Batch 3: 2000 records in 0.1 s = 20000/s,
    # error 2000 - 20000: the estimate becomes 20000/s, so batch 4 reads 10000 of the 18800
    # records waiting in each partition.
    assert counts == [[100, 100], [100, 100], [1000, 1000], [10000, 10000]]


def test_backpressure_estimate_is_capped_by_the_max_rate_per_partition(local_sc):
    counts = run_backlog(
        local_sc,
        {
            "spark.streaming.backpressure.enabled": "true",
            "spark.streaming.backpressure.initialRate": "200",
            MAX_RATE: "600",
        },
        batches=3,
    )
    assert counts == [[100, 100], [100, 100], [600, 600]]


def test_without_an_initial_rate_the_first_batches_are_bounded_by_the_max_rate_only(local_sc):
    counts = run_backlog(
        local_sc, {"spark.streaming.backpressure.enabled": "true", MAX_RATE: "3000"}, batches=3
    )
    # 6000 records in 0.1 s prime at 60000/s; batch 2 (3000 per partition again, 60000/s) gives
    # the estimate 60000/s: 30000 per partition, capped at 3000
    assert counts == [[3000, 3000], [3000, 3000], [3000, 3000]]


# -- a receiver's rate limiter ----------------------------------------------------------------------
class IdleReceiver(Receiver):
    def onStart(self):
        pass

    def onStop(self):
        pass


@pytest.mark.parametrize("max_rate, expected", [("0", 1250.0), ("500", 500.0)])
def test_receiver_limiter_follows_the_estimate_bounded_by_max_rate(local_sc, max_rate, expected):
    local_sc._conf.set("spark.streaming.backpressure.enabled", "true")
    local_sc._conf.set("spark.streaming.backpressure.initialRate", "100")
    local_sc._conf.set("spark.streaming.receiver.maxRate", max_rate)
    ssc = manual_streaming_context(local_sc, batch_duration=1)
    stream = as_input_stream(ssc, IdleReceiver(), "an idle receiver")
    assert stream.tracker.rate == 100  # the initial rate, below any max rate here
    stream.rate_controller.batch_completed(1000, 1000, 500, 0)
    assert stream.tracker.rate == 100
    stream.rate_controller.batch_completed(2000, 1000, 800, 0)  # estimate 1250/s
    assert stream.tracker.rate == expected


def test_receiver_without_backpressure_keeps_max_rate(local_sc):
    local_sc._conf.set("spark.streaming.receiver.maxRate", "300")
    ssc = manual_streaming_context(local_sc, batch_duration=1)
    stream = as_input_stream(ssc, IdleReceiver(), "an idle receiver")
    assert stream.rate_controller is None
    assert stream.tracker.rate == 300
