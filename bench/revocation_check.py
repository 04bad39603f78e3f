"""What the revocation check (kernel.auth.revocation) costs per request, with and without it.

    .venv/bin/python bench/revocation_check.py [--requests 2000]

Needs the running platform (`make up`). Signs a landlord in through the gateway
for a real access token, gives that user a cut-off older than the token (so the
check finds a value, as it does for anyone who signed out earlier), then, in one
run, interleaving request by request three modes: the check off; the check
reading Redis (one MGET, HEARTH_REVOCATION_MIRROR=false); and the check answered
by the in-memory mirror (the default). Three measures:

1. the check alone (`is_revoked`);
2. DRF authentication of a request (UserTokenAuthentication: ES256 verification
   plus the check), in process;
3. HTTP: GET /api/v1/listings/mine, an authenticated endpoint, against three
   gunicorns of listings (one worker, one thread each) that this bench starts
   beside the stack, alike but for the mode; stopped at the end.

Prints median and p99 per request per mode, and each mode's median against "off".
"""

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devstack.api_client import Api

SERVICE = "listings"
os.environ.setdefault("HEARTH_SERVICE", SERVICE)
os.environ["DJANGO_SETTINGS_MODULE"] = f"config.settings.{SERVICE}"

import django

django.setup()

from django.conf import settings
from rest_framework.test import APIRequestFactory

from kernel.auth import revocation
from kernel.auth.authentication import UserTokenAuthentication
from kernel.auth.tokens import UserAccessToken

MODES = {"off": {"check": False, "mirror": False}, "redis": {"check": True, "mirror": False}}
MODES["mirror"] = {"check": True, "mirror": True}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def interleaved(count: int, run) -> dict[str, list[float]]:
    """`run(mode)` timed `count` times per mode, modes taking turns, in microseconds."""
    times: dict[str, list[float]] = {mode: [] for mode in MODES}
    for _ in range(count):
        for mode in MODES:
            started = time.perf_counter()
            run(mode)
            times[mode].append((time.perf_counter() - started) * 1e6)
    return times


def report(name: str, times: dict[str, list[float]]) -> None:
    off = statistics.median(times["off"])
    print(f"{name}")
    for mode, values in times.items():
        median = statistics.median(values)
        versus = "" if mode == "off" else f"  vs off {median / off:6.3f} ({median - off:+8.1f} µs)"
        p99 = percentile(values, 99)
        print(f"    {mode:<7} median {median:8.1f} µs  p99 {p99:8.1f} µs{versus}")


def use_mode(mode: str) -> None:
    settings.HEARTH_REVOCATION_CHECK = MODES[mode]["check"]
    settings.HEARTH_REVOCATION_MIRROR = MODES[mode]["mirror"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(port: int, mode: str) -> subprocess.Popen:
    environment = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
        "HEARTH_SERVICE": SERVICE,
        "HEARTH_REVOCATION_CHECK": str(MODES[mode]["check"]).lower(),
        "HEARTH_REVOCATION_MIRROR": str(MODES[mode]["mirror"]).lower(),
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "1",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "-c",
            "config/gunicorn_conf.py",
            "--bind",
            f"127.0.0.1:{port}",
        ],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def wait_ready(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not become ready")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="per mode and measure")
    args = parser.parse_args()

    landlord = Api().new_user(role="landlord", name="Bench Landlord")
    token = UserAccessToken(landlord.access)
    issued = datetime.fromtimestamp(token["iat"], UTC)
    revocation.cut_off_user(token["sub"], before=issued - timedelta(seconds=1))
    use_mode("mirror")
    revocation.is_revoked(token.payload)  # starts the mirror
    deadline = time.monotonic() + 10
    while not revocation._mirror.in_sync:
        assert time.monotonic() < deadline, "the mirror did not get in sync"
        time.sleep(0.05)
    for mode in MODES:
        use_mode(mode)
        assert not revocation.is_revoked(token.payload)
    print(f"{args.requests} requests per mode and measure, the modes interleaved")

    factory = APIRequestFactory()

    def check(mode: str) -> None:
        use_mode(mode)
        revocation.is_revoked(token.payload)

    def authenticate(mode: str) -> None:
        use_mode(mode)
        request = factory.get("/", HTTP_AUTHORIZATION=f"Bearer {landlord.access}")
        UserTokenAuthentication().authenticate(request)

    for name, run in (("the check alone", check), ("DRF authentication", authenticate)):
        interleaved(200, run)  # warm up: connections, caches
        report(name, interleaved(args.requests, run))

    ports = {mode: free_port() for mode in MODES}
    servers = {mode: start_gunicorn(port, mode) for mode, port in ports.items()}
    try:
        urls = {mode: f"http://127.0.0.1:{port}" for mode, port in ports.items()}
        for url in urls.values():
            wait_ready(url)
        sessions = {mode: requests.Session() for mode in urls}
        headers = {"Authorization": f"Bearer {landlord.access}", "Host": "127.0.0.1"}

        def http(mode: str) -> None:
            response = sessions[mode].get(
                f"{urls[mode]}/api/v1/listings/mine", headers=headers, timeout=10
            )
            if response.status_code != 200:
                raise RuntimeError(f"{response.url}: {response.status_code} {response.text}")

        interleaved(200, http)  # warm up; the mirrors get in sync
        report("HTTP GET /api/v1/listings/mine", interleaved(args.requests, http))
    finally:
        for server in servers.values():
            os.killpg(server.pid, signal.SIGTERM)
        for server in servers.values():
            server.wait(30)


if __name__ == "__main__":
    main()
