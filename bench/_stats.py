"""The figures the benches print: percentiles, modes timed taking turns, and ratios."""

import math
import statistics
import time
from collections.abc import Callable, Iterable, Sequence


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (`p` out of 100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def interleaved(
    modes: Iterable[str], rounds: int, run: Callable[[str], object]
) -> dict[str, list[float]]:
    """`run(mode)` timed `rounds` times per mode, in seconds, the modes taking turns,
    so a busy moment of this shared machine falls on every mode alike."""
    times: dict[str, list[float]] = {mode: [] for mode in modes}
    for _ in range(rounds):
        for mode, mine in times.items():
            started = time.perf_counter()
            run(mode)
            mine.append(time.perf_counter() - started)
    return times


def spread(values_ms: Sequence[float], percentiles: Iterable[int] = (50, 90, 99)) -> str:
    """`n=…  p50=… ms  …  max=… ms  mean=… ms` of latencies in milliseconds."""
    cells = [f"n={len(values_ms):5d}"]
    cells += [f"p{p}={percentile(values_ms, p):7.1f} ms" for p in percentiles]
    cells += [f"max={max(values_ms):7.1f} ms", f"mean={statistics.fmean(values_ms):7.1f} ms"]
    return "  ".join(cells)


def ratios(
    numerator: Sequence[float], denominator: Sequence[float], percentiles: Iterable[int] = (50, 99)
) -> str:
    """`p50 x1.23, p99 x1.45`: each percentile of `numerator` over the same of `denominator`."""
    return ", ".join(
        f"p{p} x{percentile(numerator, p) / percentile(denominator, p):.2f}" for p in percentiles
    )
