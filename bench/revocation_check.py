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
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._servers import gunicorns
from bench._stats import interleaved, percentile
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


def report(name: str, seconds: dict[str, list[float]]) -> None:
    times = {mode: [s * 1e6 for s in values] for mode, values in seconds.items()}  # µs
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
        interleaved(MODES, 200, run)  # warm up: connections, caches
        report(name, interleaved(MODES, args.requests, run))

    settings_by_mode = {
        mode: {
            "HEARTH_REVOCATION_CHECK": str(flags["check"]).lower(),
            "HEARTH_REVOCATION_MIRROR": str(flags["mirror"]).lower(),
        }
        for mode, flags in MODES.items()
    }
    with gunicorns(SERVICE, settings_by_mode) as urls:
        sessions = {mode: requests.Session() for mode in urls}
        headers = {"Authorization": f"Bearer {landlord.access}", "Host": "127.0.0.1"}

        def http(mode: str) -> None:
            response = sessions[mode].get(
                f"{urls[mode]}/api/v1/listings/mine", headers=headers, timeout=10
            )
            if response.status_code != 200:
                raise RuntimeError(f"{response.url}: {response.status_code} {response.text}")

        interleaved(MODES, 200, http)  # warm up; the mirrors get in sync
        report("HTTP GET /api/v1/listings/mine", interleaved(MODES, args.requests, http))


if __name__ == "__main__":
    main()
