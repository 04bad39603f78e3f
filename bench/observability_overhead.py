"""What tracing and metrics cost a request: throughput with them on and off, in one run.

    .venv/bin/python bench/observability_overhead.py [--requests 1500] [--path PATH]

Needs the running platform (`make up`, Zipkin included). Starts five gunicorns of
listings beside the stack (one worker, one thread each, so each answers one
request at a time), alike but for what is on:

- off: no tracing (no exporter endpoint), no request metrics (HEARTH_REQUEST_METRICS=false)
- metrics only: request metrics, no tracing
- 10 %, head: metrics, and requests drawn at 10 % at the door, the rest not recorded
- 10 % + keep: as above, but the server span of a request left out exported when it
  failed or took longer than 500 ms (HEARTH_TRACE_KEEP_SLOW_MS, the default)
- 100 %: metrics, and every trace exported to Zipkin (the local stack's setting)

then sends the same public request (the listings search, which reads PostgreSQL and
Redis) to each in turn, request by request, so a busy moment of this shared machine
falls on every mode alike. Prints, per mode, the throughput of one worker thread
(requests per second of its busy time), median and p99, and the cost against off.
"""

import argparse
import statistics
import sys
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._servers import gunicorns
from bench._stats import interleaved, percentile
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1500, help="per mode")
    parser.add_argument("--path", default="/api/v1/listings?city=Lisbon&page_size=5")
    args = parser.parse_args()

    # Tracing and metrics as each mode says, not as this shell's environment does.
    with gunicorns(SERVICE, MODES, dropped=("OTEL_", "PROMETHEUS_")) as urls:
        sessions = {mode: requests.Session() for mode in urls}

        def once(mode: str) -> None:
            response = sessions[mode].get(f"{urls[mode]}{args.path}", timeout=10)
            if response.status_code != 200:
                raise RuntimeError(f"{response.url}: {response.status_code} {response.text[:200]}")

        interleaved(MODES, 100, once)  # warm up: connections, caches, the exporters' threads
        times = interleaved(MODES, args.requests, once)

        off = statistics.fmean(times["off"])
        print(f"GET {args.path} on {SERVICE}, {args.requests} requests per mode, interleaved")
        print(f"{'mode':<15}{'req/s':>8}{'median ms':>11}{'p99 ms':>9}{'cost':>8}")
        for mode, values in times.items():
            mean = statistics.fmean(values)
            print(
                f"{mode:<15}{1 / mean:>8.1f}{statistics.median(values) * 1000:>11.2f}"
                f"{percentile(values, 99) * 1000:>9.2f}{(mean / off - 1) * 100:>+7.1f}%"
            )


if __name__ == "__main__":
    main()
