"""Pure arithmetic over recorded requests: percentiles, the failover window, the
recovery point (definitions in devstack.chaos's docstring)."""

import math
from collections.abc import Sequence
from dataclasses import dataclass

# "Back to baseline" tolerates noise: a 2-core machine shared with the cluster
# moves p99 by tens of milliseconds from one 10 s window to the next.
P99_FACTOR = 1.5
P99_SLACK_S = 0.05


@dataclass(frozen=True)
class Sample:
    due: float  # seconds since the load started
    latency: float
    ok: bool


@dataclass(frozen=True)
class Stats:
    count: int
    errors: int
    p99: float | None

    @property
    def error_rate(self) -> float:
        return self.errors / self.count if self.count else 0.0


@dataclass(frozen=True)
class KillAnalysis:
    kill_at: float
    baseline: Stats
    window_end: float
    window: Stats
    recovery_s: float | None  # None: not recovered before the horizon


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest rank: the smallest value with at least q % of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def stats(samples: Sequence[Sample], start: float, end: float) -> Stats:
    inside = [s for s in samples if start <= s.due < end]
    return Stats(
        count=len(inside),
        errors=sum(not s.ok for s in inside),
        p99=percentile([s.latency for s in inside], 99),
    )


def p99_threshold(baseline_p99: float) -> float:
    return max(baseline_p99 * P99_FACTOR, baseline_p99 + P99_SLACK_S)


def recovery_time(
    samples: Sequence[Sample],
    *,
    kill_at: float,
    horizon: float,
    baseline_p99: float | None,
    stable_s: float = 10.0,
    step_s: float = 1.0,
) -> float | None:
    """Seconds from the kill to the first grid point t after which nothing failed
    and every stable_s window up to the horizon kept p99 near the baseline."""
    last_start = horizon - stable_s
    if last_start < kill_at:
        return None
    after = [s for s in samples if kill_at <= s.due < horizon]
    last_error = max((s.due for s in after if not s.ok), default=None)
    threshold = p99_threshold(baseline_p99) if baseline_p99 is not None else math.inf
    grid = [kill_at + k * step_s for k in range(int((last_start - kill_at) / step_s + 1e-9) + 1)]
    # The last window start whose p99 is too high: recovery comes after it.
    last_slow = None
    for t in grid:
        p99 = percentile([s.latency for s in after if t <= s.due < t + stable_s], 99)
        if p99 is not None and p99 > threshold:
            last_slow = t
    for t in grid:
        if (last_error is None or t > last_error) and (last_slow is None or t > last_slow):
            return t - kill_at
    return None


def analyse_kill(
    samples: Sequence[Sample],
    *,
    kill_at: float,
    horizon: float,
    baseline_s: float = 20.0,
    stable_s: float = 10.0,
    min_window_s: float = 30.0,
) -> KillAnalysis:
    baseline = stats(samples, max(0.0, kill_at - baseline_s), kill_at)
    recovery = recovery_time(
        samples, kill_at=kill_at, horizon=horizon, baseline_p99=baseline.p99, stable_s=stable_s
    )
    if recovery is None:
        window_end = horizon
    else:
        window_end = min(horizon, kill_at + max(recovery, min_window_s))
    return KillAnalysis(
        kill_at=kill_at,
        baseline=baseline,
        window_end=window_end,
        window=stats(samples, kill_at, window_end),
        recovery_s=recovery,
    )
