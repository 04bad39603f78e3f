"""What tracing and metrics cost a request: throughput with them on and off, in one run.

    .venv/bin/python bench/observability_overhead.py [--requests 1500] [--path PATH]

Needs the running platform (`make up`, Zipkin included). Starts five gunicorns of
listings beside the stack (one worker, one thread each, so each answers one
request at a time), alike but for what is on:

- off: no tracing (no exporter endpoint), no request metrics (HEARTH_REQUEST_METRICS=false)
- metrics only: request metrics, no tracing
- 10 %, head: metrics, and traces drawn at 10 % at the root, the rest not recorded
- 10 % + keep: as above, but the rest recorded and kept when failed or slower than
  500 ms (HEARTH_TRACE_KEEP_SLOW_MS, the default)
- 100 %: metrics, and every trace exported to Zipkin (the local stack's setting)

then sends the same public request (the listings search, which reads PostgreSQL and
Redis) to each in turn, request by request, so a busy moment of this shared machine
falls on every mode alike. Prints, per mode, the throughput of one worker thread
(requests per second of its busy time), median and p99, and the cost against off.
"""

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devstack.observability import ZIPKIN_SPANS_URL

SERVICE = "listings"
MODES: dict[str, dict[str, str]] = {
    "off": {"HEARTH_REQUEST_METRICS": "false"},
    "metrics only": {},
    "10 %, head": {
        "OTEL_EXPORTER_ZIPKIN_ENDPOINT": ZIPKIN_SPANS_URL,
        "OTEL_TRACES_SAMPLER_ARG": "0.1",
        "HEARTH_TRACE_KEEP_SLOW_MS": "0",
    },
    "10 % + keep": {
        "OTEL_EXPORTER_ZIPKIN_ENDPOINT": ZIPKIN_SPANS_URL,
        "OTEL_TRACES_SAMPLER_ARG": "0.1",
    },
    "100 %": {
        "OTEL_EXPORTER_ZIPKIN_ENDPOINT": ZIPKIN_SPANS_URL,
        "OTEL_TRACES_SAMPLER_ARG": "1.0",
    },
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(port: int, mode: str) -> subprocess.Popen:
    inherited = {
        k: v
        for k, v in os.environ.items()
        if k != "DJANGO_SETTINGS_MODULE" and not k.startswith(("OTEL_", "PROMETHEUS_"))
    }
    environment = {
        **inherited,
        "HEARTH_SERVICE": SERVICE,
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "1",
        **MODES[mode],
    }
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "config.wsgi"),
            *("-c", "config/gunicorn_conf.py", "--bind", f"127.0.0.1:{port}"),
        ],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def wait_ready(url: str) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):  # still starting
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not become ready")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1500, help="per mode")
    parser.add_argument("--path", default="/api/v1/listings?city=Lisbon&page_size=5")
    args = parser.parse_args()

    ports = {mode: free_port() for mode in MODES}
    servers = {mode: start_gunicorn(port, mode) for mode, port in ports.items()}
    try:
        urls = {mode: f"http://127.0.0.1:{port}" for mode, port in ports.items()}
        for url in urls.values():
            wait_ready(url)
        sessions = {mode: requests.Session() for mode in urls}
        times: dict[str, list[float]] = {mode: [] for mode in MODES}

        def once(mode: str) -> float:
            started = time.perf_counter()
            response = sessions[mode].get(f"{urls[mode]}{args.path}", timeout=10)
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise RuntimeError(f"{response.url}: {response.status_code} {response.text[:200]}")
            return elapsed

        for _ in range(100):  # warm up: connections, caches, the exporters' threads
            for mode in MODES:
                once(mode)
        for _ in range(args.requests):
            for mode in MODES:
                times[mode].append(once(mode))

        off = statistics.fmean(times["off"])
        print(f"GET {args.path} on {SERVICE}, {args.requests} requests per mode, interleaved")
        print(f"{'mode':<15}{'req/s':>8}{'median ms':>11}{'p99 ms':>9}{'cost':>8}")
        for mode, values in times.items():
            mean = statistics.fmean(values)
            print(
                f"{mode:<15}{1 / mean:>8.1f}{statistics.median(values) * 1000:>11.2f}"
                f"{percentile(values, 99) * 1000:>9.2f}{(mean / off - 1) * 100:>+7.1f}%"
            )
    finally:
        for server in servers.values():
            os.killpg(server.pid, signal.SIGTERM)
        for server in servers.values():
            server.wait(30)


if __name__ == "__main__":
    main()
