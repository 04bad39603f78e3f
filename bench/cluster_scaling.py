"""The HPA load step on the cluster: a fixed-rate read load through the Ingress,
stepped up for a while and back, with the web HPAs' replicas and the load's p99
over time.

    HEARTH_BASE_URL=https://hearth.local:30443 \
    HEARTH_RESOLVE=hearth.local:30443:127.0.0.1 \
    HEARTH_CA_BUNDLE=var/cluster/tls/tls.crt HEARTH_KUBECONFIG=var/cluster/kubeconfig \
    .venv/bin/python bench/cluster_scaling.py [--rate 6] [--factor 4] [--step 120] \
        [--plot docs/images/hpa-step.png]
    .venv/bin/python bench/cluster_scaling.py --replot var/bench/cluster-scaling-<ts>.json \
        --plot docs/images/hpa-step.png

Phases: first, without load, a wait (at most `--settle` seconds) until every
watched HPA is at its minimum; then `--lead` seconds at the baseline rate,
`--step` seconds at `--factor` times it, then the baseline again until every
watched HPA is back at its minimum (at least `--tail-min`, at most `--tail-max`
seconds: the chart's HPAs keep a 300 s scale-down stabilisation window, which
overrides the controller-manager's 60 s default, and CPU readings lag by up to
a minute). The load is an open model
(arrivals on a fixed schedule whatever the answers take, so a slow cluster
meets a queue, not a politer client) of anonymous reads: the home page's search
and a listing's page (the front end calling listings), and listings' search and
detail API. Search queries vary, so most miss listings' 30 s search cache.

A latency is measured from the arrival's due time, not from when a thread got
to it: were the generator late, that would count against p99 rather than hide.
Every `--interval` seconds the watched HPAs (listings-web-zone-*,
frontend-web-zone-*) are read: current and desired replicas, CPU utilisation;
and the nodes' readiness, so a run that overlapped a node kill says so
(`disturbed`). Writes var/bench/cluster-scaling-<ts>.json and a plot beside it.
"""

import argparse
import itertools
import json
import math
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._stats import percentile
from devstack.api_client import Target
from devstack.layout import VAR

WATCHED = ("listings-web", "frontend-web")
CITIES = ("Lisbon", "Porto", "Berlin", "Madrid", "Paris", "Rome", "Vienna", "Prague")
# Shares of the arrivals: pages through the front end, and listings' API.
MIX = {"home_search": 30, "listing_page": 25, "api_search": 30, "api_detail": 15}
WORKERS = 256  # enough that arrivals never wait for a thread at 4x
REQUEST_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Phases:
    lead: float
    step: float

    def rate(self, t: float, baseline: float, factor: float) -> float:
        """The offered rate at `t` seconds into the run."""
        return baseline * factor if self.lead <= t < self.lead + self.step else baseline


@dataclass
class Request:
    kind: str
    due: float  # seconds into the run
    done: float = math.nan
    status: int = 0  # 0: no answer (timeout, connection error)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 400

    @property
    def latency_ms(self) -> float:
        return (self.done - self.due) * 1000


@dataclass(frozen=True)
class HpaReading:
    name: str
    deployable: str  # e.g. listings-web
    zone: str
    current: int
    desired: int
    minimum: int
    cpu_percent: int | None  # None until metrics-server has a reading


def arrivals(phases: Phases, baseline: float, factor: float, until: float) -> Iterable[float]:
    """Due times of the arrivals, evenly spaced at the rate each moment asks for."""
    t = 0.0
    while t < until:
        yield t
        t += 1 / phases.rate(t, baseline, factor)


def parse_hpas(document: dict) -> list[HpaReading]:
    """The watched HPAs from `kubectl get hpa -o json`."""
    readings = []
    for item in document["items"]:
        name = item["metadata"]["name"]  # hearth-listings-web-zone-a
        stem, _, zone = name.removeprefix("hearth-").rpartition("-zone-")
        if stem not in WATCHED:
            continue
        status = item.get("status", {})
        cpu = None
        for metric in status.get("currentMetrics") or []:
            if metric.get("type") == "Resource" and metric["resource"]["name"] == "cpu":
                cpu = metric["resource"]["current"].get("averageUtilization")
        readings.append(
            HpaReading(
                name=name,
                deployable=stem,
                zone=f"zone-{zone}",
                current=status.get("currentReplicas", 0),
                desired=status.get("desiredReplicas", 0),
                minimum=item["spec"].get("minReplicas", 1),
                cpu_percent=cpu,
            )
        )
    return sorted(readings, key=lambda r: r.name)


def not_ready_nodes(document: dict) -> list[str]:
    """Nodes whose Ready condition is not True, from `kubectl get nodes -o json`."""
    down = []
    for item in document["items"]:
        ready = [c for c in item["status"].get("conditions", []) if c["type"] == "Ready"]
        if not ready or ready[0]["status"] != "True":
            down.append(item["metadata"]["name"])
    return down


def at_minimum(readings: list[HpaReading]) -> bool:
    return bool(readings) and all(r.current == r.minimum for r in readings)


def windows(requests: list[Request], *, interval: float, end: float) -> list[dict]:
    """Per window of `interval` seconds: offered rate (arrivals due in it),
    achieved rate (good answers that came back in it), errors (answers in it that
    were not good, or requests due in it that never got one), and p50/p99 of the
    latencies of the answers that came back in it."""
    rows = []
    for n in range(math.ceil(end / interval)):
        start, stop = n * interval, (n + 1) * interval
        due = [r for r in requests if start <= r.due < stop]
        back = [r for r in requests if start <= r.done < stop]
        good = [r for r in back if r.ok]
        failed = Counter(str(r.status) for r in back if not r.ok)  # "0": no answer
        latencies = [r.latency_ms for r in good]
        rows.append(
            {
                "t": stop,
                "offered_rps": len(due) / interval,
                "achieved_rps": len(good) / interval,
                "errors": sum(failed.values()),
                "error_statuses": dict(failed),
                "p50_ms": percentile(latencies, 50),
                "p99_ms": percentile(latencies, 99),
            }
        )
    return rows


def replicas_by_deployable(readings: list[HpaReading]) -> dict[str, dict]:
    """Summed over the zones: current and desired replicas; mean CPU utilisation
    of the zones that have a reading."""
    summary = {}
    for deployable in WATCHED:
        mine = [r for r in readings if r.deployable == deployable]
        cpus = [r.cpu_percent for r in mine if r.cpu_percent is not None]
        summary[deployable] = {
            "current": sum(r.current for r in mine),
            "desired": sum(r.desired for r in mine),
            "cpu_percent_mean": sum(cpus) / len(cpus) if cpus else None,
        }
    return summary


class Kube:
    def __init__(self, target: Target) -> None:
        if target.kubeconfig is None:
            raise SystemExit("HEARTH_KUBECONFIG is not set: the HPAs cannot be read")
        self.command = [
            target.kubectl,
            "--kubeconfig",
            str(target.kubeconfig),
            "-n",
            target.namespace,
        ]

    def get(self, kind: str) -> dict:
        out = subprocess.run(
            [*self.command, "get", kind, "-o", "json"],
            capture_output=True,
            text=True,
            check=True,
            timeout=20,
        )
        return json.loads(out.stdout)


class Reads:
    """The anonymous reads, one session (keep-alive connections) per thread."""

    def __init__(self, target: Target, listing_ids: list[str], seed: int) -> None:
        self.target = target
        self.listing_ids = listing_ids
        self.local = threading.local()
        self.rng = random.Random(seed)
        # A max_rent above every rent changes no result but makes the query, and
        # listings' cache key, new (as bench/page_render.py does).
        self.salt = itertools.count(100_000 + int(time.time()) % 800 * 1000)
        self.lock = threading.Lock()

    def path(self, kind: str) -> tuple[str, dict]:
        with self.lock:
            city, page = self.rng.choice(CITIES), self.rng.choice((1, 1, 2))
            listing, max_rent = self.rng.choice(self.listing_ids), next(self.salt)
        search = {"city": city, "max_rent": max_rent, "page": page}
        return {
            "home_search": ("/", search),
            "listing_page": (f"/listings/{listing}", {}),
            "api_search": ("/api/v1/listings", search),
            "api_detail": (f"/api/v1/listings/{listing}", {}),
        }[kind]

    def send(self, kind: str) -> int:
        if not hasattr(self.local, "session"):
            self.local.session = self.target.session()
        path, params = self.path(kind)
        try:
            response = self.local.session.get(
                self.target.url(path), params=params, timeout=REQUEST_TIMEOUT_S
            )
        except Exception:  # any failure to answer is an error of the run
            return 0
        if response.status_code == 404 and kind.endswith("search"):
            return 200  # a page past a city's last: an answer, not a failure
        return response.status_code


def sample(kube: Kube, t: float) -> dict:
    try:
        readings = parse_hpas(kube.get("hpa"))
        down = not_ready_nodes(kube.get("nodes"))
    except (subprocess.SubprocessError, json.JSONDecodeError) as error:
        return {"t": t, "error": str(error)[:200]}
    return {
        "t": t,
        "hpas": [asdict(r) for r in readings],
        "by_deployable": replicas_by_deployable(readings),
        "nodes_not_ready": down,
        "at_minimum": at_minimum(readings),
    }


def settle(kube: Kube, timeout: float, interval: float) -> dict:
    """Waits, without load, until every node is ready and every watched HPA is at
    its minimum, so the step starts from rest; the last sample either way."""
    deadline = time.monotonic() + timeout
    while True:
        state = sample(kube, 0.0)
        rested = state.get("at_minimum") and not state.get("nodes_not_ready")
        if rested or time.monotonic() > deadline:
            return state
        time.sleep(interval)


def run(args: argparse.Namespace, target: Target, kube: Kube) -> dict:
    first = target.session().get(
        target.url("/api/v1/listings"), params={"page_size": 100}, timeout=REQUEST_TIMEOUT_S
    )
    first.raise_for_status()
    ids = [hit["id"] for hit in first.json()["results"]]
    if not ids:
        raise SystemExit("no listings to read: seed the cluster's demo data first")
    reads = Reads(target, ids, args.seed)
    phases = Phases(lead=args.lead, step=args.step)
    kinds, weights = list(MIX), list(MIX.values())
    rng = random.Random(args.seed)
    requests: list[Request] = []
    samples: list[dict] = []
    stop_load = threading.Event()
    cpu_before = time.process_time()
    started = time.monotonic()

    def now() -> float:
        return time.monotonic() - started

    def one(request: Request) -> None:
        request.status = reads.send(request.kind)
        request.done = now()

    def watch() -> None:
        while not stop_load.is_set():
            samples.append(sample(kube, now()))
            t = samples[-1]["t"]
            tail = t - (phases.lead + phases.step)
            if tail >= args.tail_max or (tail >= args.tail_min and samples[-1].get("at_minimum")):
                stop_load.set()
            stop_load.wait(args.interval - now() % args.interval)

    watcher = threading.Thread(target=watch, name="watch")
    watcher.start()
    horizon = phases.lead + phases.step + args.tail_max + args.interval
    with ThreadPoolExecutor(WORKERS, thread_name_prefix="load") as pool:
        for due in arrivals(phases, args.rate, args.factor, horizon):
            if stop_load.is_set():
                break
            if (pause := due - now()) > 0:
                time.sleep(pause)
            request = Request(rng.choices(kinds, weights)[0], due)
            requests.append(request)
            pool.submit(one, request)
    stop_load.set()
    watcher.join()
    end = max(r.done for r in requests)
    # The generator shares the machine's cores with the cluster: what it took.
    generator_cpu_s = time.process_time() - cpu_before
    return {
        "started_at": args.started_at,
        "target": target.base_url,
        "baseline_rps": args.rate,
        "factor": args.factor,
        "lead_s": phases.lead,
        "step_s": phases.step,
        "interval_s": args.interval,
        "mix": MIX,
        "requests": len(requests),
        "duration_s": end,
        "generator_cpu_s": generator_cpu_s,
        "errors": sum(1 for r in requests if not r.ok),
        "disturbed": sorted({n for s in samples for n in s.get("nodes_not_ready", [])}),
        "windows": windows(requests, interval=args.interval, end=end),
        "samples": samples,
    }


def summary(result: dict) -> dict:
    """The figures the docs quote: latency per phase (the median and the worst of
    the windows' p99), errors in the step, and when the HPAs moved (seconds from
    the step's start; back at rest: from its end)."""
    lead, end = result["lead_s"], result["lead_s"] + result["step_s"]
    rows = result["windows"]
    phases = {
        "before": [w for w in rows if w["t"] <= lead],
        "step": [w for w in rows if lead < w["t"] <= end],
        "after": [w for w in rows if w["t"] > end],
    }
    figures: dict = {}
    for name, mine in phases.items():
        p99s = [w["p99_ms"] for w in mine if not math.isnan(w["p99_ms"])]
        figures[f"{name}_p99_ms_median"] = percentile(p99s, 50)
        figures[f"{name}_p99_ms_max"] = max(p99s, default=math.nan)
    offered = sum(w["offered_rps"] for w in phases["step"]) * result["interval_s"]
    failed = sum(w["errors"] for w in phases["step"])
    figures["step_error_share"] = failed / offered if offered else math.nan
    samples = [s for s in result["samples"] if "by_deployable" in s]
    for deployable in WATCHED:
        figures[deployable] = scaling_times(samples, deployable, lead=lead, end=end)
    return figures


def scaling_times(samples: list[dict], deployable: str, *, lead: float, end: float) -> dict:
    """One deployable's replicas (summed over zones) at rest and at their peak;
    seconds from the step's start to the first higher desired count and to the
    peak, and from the step's end until back at the resting count."""
    mine = [(s["t"], s["by_deployable"][deployable]) for s in samples]
    counts = [(t, cell["current"], cell["desired"]) for t, cell in mine]
    rest = counts[0][1] if counts else 0
    peak = max((current for _, current, _ in counts), default=0)
    up = [t - lead for t, _, desired in counts if t >= lead and desired > rest]
    at_peak = [t - lead for t, current, _ in counts if t >= lead and current == peak]
    back = [t - end for t, current, _ in counts if t >= end and current <= rest]
    return {
        "at_rest": rest,
        "peak": peak,
        "first_scale_up_s": up[0] if up else None,
        "peak_at_s": at_peak[0] if at_peak else None,
        "back_at_rest_s": back[0] if back else None,
    }


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    samples = [s for s in result["samples"] if "by_deployable" in s]
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(9, 6), height_ratios=(1, 1))
    lead, step = result["lead_s"], result["step_s"]
    down = [s["t"] for s in result["samples"] if s.get("nodes_not_ready")]
    for axis in (top, bottom):
        axis.axvspan(lead, lead + step, color="tab:orange", alpha=0.12, lw=0)
        for t in down:  # a node not ready: the run overlapped a kill or a cut
            axis.axvspan(t - result["interval_s"], t, color="gray", alpha=0.25, lw=0)
        axis.grid(alpha=0.3)
    for deployable, colour in zip(WATCHED, ("tab:blue", "tab:green"), strict=True):
        t = [s["t"] for s in samples]
        current = [s["by_deployable"][deployable]["current"] for s in samples]
        desired = [s["by_deployable"][deployable]["desired"] for s in samples]
        top.step(t, current, where="post", color=colour, label=f"{deployable} replicas")
        top.step(t, desired, where="post", color=colour, ls=":", label=f"{deployable} desired")
    top.set_ylabel("replicas (3 zones summed)")
    top.set_ylim(0, 7)
    top.legend(loc="upper right", fontsize=8)
    rows = result["windows"]
    t = [w["t"] for w in rows]
    bottom.plot(t, [w["p99_ms"] for w in rows], color="tab:red", label="p99")
    bottom.plot(t, [w["p50_ms"] for w in rows], color="tab:gray", label="p50")
    bottom.set_ylabel("latency (ms)")
    bottom.set_yscale("log")
    bottom.set_xlabel("seconds into the run")
    rate = bottom.twinx()
    rate.plot(
        t, [w["offered_rps"] for w in rows], color="black", lw=0.8, ls="--", label="offered req/s"
    )
    rate.plot(t, [w["achieved_rps"] for w in rows], color="black", lw=0.8, label="achieved req/s")
    errors = [(w["t"], w["errors"] / result["interval_s"]) for w in rows if w["errors"]]
    if errors:
        rate.bar(
            *zip(*errors, strict=True),
            width=result["interval_s"] * 0.8,
            color="tab:red",
            alpha=0.3,
            label="errors/s",
        )
    rate.set_ylabel("req/s")
    lines = bottom.get_legend_handles_labels()
    more = rate.get_legend_handles_labels()
    bottom.legend(lines[0] + more[0], lines[1] + more[1], loc="upper right", fontsize=8)
    fig.suptitle(
        f"HPA step: {result['baseline_rps']:g} -> {result['baseline_rps'] * result['factor']:g}"
        f" req/s for {step:g} s (shaded), {result['started_at']}",
        fontsize=10,
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def report(result: dict, write: Callable[[str], None] = print) -> None:
    write(
        f"{result['requests']} requests, {result['errors']} errors; "
        f"nodes not ready during the run: {result['disturbed'] or 'none'}; "
        f"the generator used {result['generator_cpu_s']:.0f} CPU s in {result['duration_s']:.0f} s"
    )
    write(json.dumps(summary(result), indent=1))
    by_t = {round(s["t"] / result["interval_s"]): s for s in result["samples"]}
    write(
        "   t  offered achieved err   p50 ms   p99 ms   listings cur/des cpu  frontend cur/des cpu"
    )
    for w in result["windows"]:
        line = (
            f"{w['t']:4.0f} {w['offered_rps']:8.1f} {w['achieved_rps']:8.1f} "
            f"{w['errors']:3d} {w['p50_ms']:8.0f} {w['p99_ms']:8.0f}"
        )
        cells = by_t.get(round(w["t"] / result["interval_s"]), {}).get("by_deployable", {})
        for deployable in WATCHED:
            if cell := cells.get(deployable):
                cpu = cell["cpu_percent_mean"]
                cpu_text = "-" if cpu is None else f"{cpu:.0f}%"
                line += f"   {cell['current']}/{cell['desired']} {cpu_text:>5}       "
        write(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=6.0, help="baseline req/s")
    parser.add_argument("--factor", type=float, default=4.0)
    parser.add_argument("--lead", type=float, default=60.0)
    parser.add_argument("--step", type=float, default=120.0)
    parser.add_argument("--tail-min", type=float, default=90.0)
    parser.add_argument("--tail-max", type=float, default=540.0)
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--settle", type=float, default=360.0, help="max wait for rest")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--plot", type=Path, help="also write the plot here")
    parser.add_argument("--replot", type=Path, help="only draw a saved result's plot")
    args = parser.parse_args()
    if args.replot:
        result = json.loads(args.replot.read_text())
        plot(result, args.plot or args.replot.with_suffix(".png"))
        report(result)
        return
    args.started_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    target = Target.from_environment()
    kube = Kube(target)
    rest = settle(kube, args.settle, args.interval)
    if not rest.get("at_minimum"):
        print(f"not at rest after {args.settle:g} s, running anyway: {rest}")
    result = run(args, target, kube)
    stem = VAR / "bench" / f"cluster-scaling-{args.started_at.replace(':', '')}"
    stem.parent.mkdir(parents=True, exist_ok=True)
    stem.with_suffix(".json").write_text(json.dumps(result, indent=1, default=str))
    plot(result, stem.with_suffix(".png"))
    if args.plot:
        plot(result, args.plot)
    report(result)
    print(f"wrote {stem}.json and .png")


if __name__ == "__main__":
    main()
