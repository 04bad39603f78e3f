"""The run's verdict: one row per kill, the loss checks, each against the issue's
targets; printed, and written as JSON under var/chaos/."""

import json
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

from devstack.chaos.analysis import KillAnalysis, Sample, percentile, stats
from devstack.chaos.checks import CheckResult
from devstack.chaos.kills import Done
from devstack.chaos.recorder import RequestRecord

RECOVERY_TARGET_S = 30.0
WINDOW_ERROR_TARGET = 0.01


@dataclass(frozen=True)
class KillRow:
    done: Done
    analysis: KillAnalysis

    @property
    def passed(self) -> bool:
        return (
            self.done.error is None
            and self.analysis.recovery_s is not None
            and self.analysis.recovery_s < RECOVERY_TARGET_S
            and self.analysis.window.error_rate < WINDOW_ERROR_TARGET
        )


def samples_of(requests: list[RequestRecord]) -> list[Sample]:
    return [Sample(r.due, r.latency, r.ok) for r in requests]


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.0f} ms"


def kill_table(rows: list[KillRow]) -> str:
    header = (
        "kill",
        "at s",
        "node/program",
        "down s",
        "window",
        "errors",
        "window p99",
        "baseline p99",
        "recovery",
        "",
    )
    lines = [header]
    for row in rows:
        a, d = row.analysis, row.done
        lines.append(
            (
                f"{d.step.action} {d.step.target}",
                f"{a.kill_at:.0f}",
                d.resolved,
                "-" if d.restore_at is None else f"{d.restore_at - d.kill_at:.0f}",
                f"{a.kill_at:.0f}-{a.window_end:.0f} s",
                f"{a.window.errors}/{a.window.count} ({a.window.error_rate:.2%})",
                _ms(a.window.p99),
                _ms(a.baseline.p99),
                "never" if a.recovery_s is None else f"{a.recovery_s:.0f} s",
                "ok" if row.passed else f"MISSED{' (' + d.error + ')' if d.error else ''}",
            )
        )
    return _columns(lines)


def kinds_table(requests: list[RequestRecord]) -> str:
    by_kind: dict[str, list[RequestRecord]] = defaultdict(list)
    for record in requests:
        by_kind[record.kind].append(record)
    lines = [("request", "count", "failed", "retried", "p50", "p99")]
    for kind, records in sorted(by_kind.items()):
        latencies = [r.latency for r in records]
        lines.append(
            (
                kind,
                str(len(records)),
                str(sum(not r.ok for r in records)),
                str(sum(r.attempts > 1 for r in records)),
                _ms(percentile(latencies, 50)),
                _ms(percentile(latencies, 99)),
            )
        )
    return _columns(lines)


def checks_table(checks: list[CheckResult]) -> str:
    lines = [("loss check", "checked", "bad", "target", "")]
    for check in checks:
        lines.append(
            (
                check.name,
                str(check.checked),
                str(check.bad),
                str(check.target),
                "ok" if check.passed else "MISSED",
            )
        )
    text = _columns(lines)
    for check in checks:
        if not check.passed and check.details:
            text += f"\n  {check.name}:\n" + "\n".join(f"    {d}" for d in check.details[:10])
    return text


def _columns(lines: list[tuple[str, ...]]) -> str:
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


def write_json(
    path: Path,
    *,
    config: dict,
    rows: list[KillRow],
    checks: list[CheckResult],
    requests: list[RequestRecord],
    generator: dict,
    writes: list[dict],
) -> None:
    whole = stats(samples_of(requests), 0.0, float("inf"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "config": config,
                "generator": generator,
                "overall": {"count": whole.count, "errors": whole.errors, "p99": whole.p99},
                "kills": [
                    {**asdict(r.done), "analysis": asdict(r.analysis), "passed": r.passed}
                    for r in rows
                ],
                "checks": [{**asdict(c), "passed": c.passed} for c in checks],
                "writes": writes,
                "requests": [asdict(r) for r in requests],
            },
            indent=1,
            default=str,
        )
    )
