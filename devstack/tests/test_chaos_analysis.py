"""make chaos's arithmetic: percentiles, the baseline, the recovery point and the
failover window, on made-up request timelines."""

import pytest

from devstack.chaos.analysis import (
    Sample,
    analyse_kill,
    p99_threshold,
    percentile,
    recovery_time,
    stats,
)


def steady(start: float, end: float, *, latency: float = 0.02, rate: int = 10) -> list[Sample]:
    n = round((end - start) * rate)
    return [Sample(start + i / rate, latency, True) for i in range(n)]


def test_percentile_is_the_nearest_rank():
    values = list(range(1, 101))  # 1..100
    assert percentile(values, 99) == 99
    assert percentile(values, 50) == 50
    assert percentile(values, 100) == 100
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 99) is None
    # Order does not matter.
    assert percentile([5, 1, 4, 2, 3], 60) == 3


def test_stats_counts_errors_inside_the_interval_only():
    samples = [Sample(0.5, 0.1, False), Sample(1.0, 0.2, True), Sample(2.0, 0.3, False)]
    inside = stats(samples, 1.0, 2.0)  # start included, end excluded
    assert (inside.count, inside.errors, inside.p99) == (1, 0, 0.2)
    assert stats(samples, 0, 3).error_rate == pytest.approx(2 / 3)
    assert stats([], 0, 1).error_rate == 0.0


def test_no_disturbance_recovers_at_once():
    samples = steady(0, 60)
    assert recovery_time(samples, kill_at=30, horizon=60, baseline_p99=0.02) == 0


def test_recovery_waits_for_the_last_error():
    samples = [*steady(0, 60), Sample(37.5, 0.02, False)]
    # The first grid point after the error, 38 s: 8 s after the kill.
    assert recovery_time(samples, kill_at=30, horizon=60, baseline_p99=0.02) == 8


def test_recovery_waits_for_p99_to_return_near_the_baseline():
    slow = [Sample(t, 2.0, True) for t in (33.0, 34.0, 35.0)]
    samples = [*steady(0, 60), *slow]
    # The window from 34 s holds two slow requests in 102 (p99 slow); the one
    # from 35 s one in 101, under 1 %: p99 is back from 35 s.
    assert recovery_time(samples, kill_at=30, horizon=60, baseline_p99=0.02) == 5


def test_latency_within_the_tolerance_counts_as_recovered():
    threshold = p99_threshold(0.02)
    assert threshold == pytest.approx(0.07)  # +50 ms beats x1.5 at 20 ms
    assert p99_threshold(1.0) == 1.5
    samples = steady(0, 60, latency=threshold)
    assert recovery_time(samples, kill_at=30, horizon=60, baseline_p99=0.02) == 0


def test_errors_until_the_horizon_never_recover():
    samples = [*steady(0, 60), Sample(55, 0.02, False)]
    assert recovery_time(samples, kill_at=30, horizon=60, baseline_p99=0.02) is None


def test_recovery_needs_one_stable_window_before_the_horizon():
    samples = [*steady(0, 60), Sample(51.5, 0.02, False)]
    # Clean from 52 s, but only 8 s remain before the horizon at 60 s.
    assert recovery_time(samples, kill_at=30, horizon=60, baseline_p99=0.02) is None
    assert recovery_time(samples, kill_at=30, horizon=60, baseline_p99=0.02, stable_s=8) == 22


def test_the_window_spans_the_recovery_or_the_minimum():
    errors = [Sample(30 + i * 0.5, 0.5, False) for i in range(10)]  # 30..34.5 s
    samples = [*steady(0, 120), *errors]
    analysis = analyse_kill(samples, kill_at=30, horizon=120, min_window_s=30)
    assert analysis.recovery_s == 5
    assert analysis.baseline.p99 == 0.02
    assert analysis.baseline.count == 200  # 10 a second over the 20 s before the kill
    assert analysis.window_end == 60  # the 30 s minimum, longer than the recovery
    assert analysis.window.errors == 10
    assert analysis.window.count == 310
    assert analysis.window.p99 == 0.5

    longer = analyse_kill(samples, kill_at=30, horizon=120, min_window_s=2)
    assert longer.window_end == 35


def test_an_unrecovered_kill_is_judged_up_to_the_horizon():
    samples = [*steady(0, 90), Sample(85, 0.02, False)]
    analysis = analyse_kill(samples, kill_at=30, horizon=90)
    assert analysis.recovery_s is None
    assert analysis.window_end == 90
    assert analysis.window.errors == 1
