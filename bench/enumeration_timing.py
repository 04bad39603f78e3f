"""Does the time of an answer tell whether an email has an account? Register, sign-in
and password reset, through the gateway, for existing and unknown emails.

    .venv/bin/python bench/enumeration_timing.py [--samples 60]

Needs the running platform (`make up`). For each endpoint it alternates a call
for an email with an account and one for an email without, `--samples` of each,
and prints the median and p90 of both and the ratio existing / unknown (1.00:
the time says nothing). Every answer is checked to be the one expected, the same
for both kinds.

The accounts' own limits are respected, so they do not cut a path short: each
existing email is used at most 3 times (under the 3 reset emails and the 5
failed sign-ins per window); an unknown email is new each time (a registration
of one creates its account, as any sign-up would). Calls are spaced under the
gateway's per-address rate.
"""

import argparse
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._stats import percentile
from devstack.api_client import GATEWAY, Api

PASSWORD = "bench-enumeration-passphrase"
USES_PER_ACCOUNT = 3
GATEWAY_SPACING = 0.11  # seconds between calls: under the gateway's 10 per second


def new_email(kind: str) -> str:
    return f"enum-{kind}-{uuid.uuid4().hex[:12]}@bench.example"


def accounts(count: int) -> list[str]:
    emails = [new_email("existing") for _ in range(count)]
    for email in emails:
        Api().register(email=email, password=PASSWORD, full_name="Bench Existing", role="renter")
        time.sleep(GATEWAY_SPACING)
    return emails


CALLS: dict[str, tuple[str, Callable[[str], dict], int]] = {
    # endpoint: (path, body for an email, the status both kinds must get)
    "register": (
        "/api/v1/accounts/register",
        lambda email: {
            "email": email,
            "password": "another-bench-passphrase",
            "full_name": "Bench Probe",
            "role": "renter",
        },
        202,
    ),
    "token": (
        "/api/v1/auth/token",
        lambda email: {"email": email, "password": "not-the-password-at-all"},
        401,
    ),
    "reset": ("/api/v1/accounts/password-reset", lambda email: {"email": email}, 202),
}


def measure(
    http: requests.Session, endpoint: str, existing: list[str], samples: int
) -> dict[str, list[float]]:
    path, body, expected = CALLS[endpoint]
    pool = [email for email in existing for _ in range(USES_PER_ACCOUNT)][:samples]
    times: dict[str, list[float]] = {"existing": [], "unknown": []}
    answers = set()
    for email in pool:
        for kind, address in (("existing", email), ("unknown", new_email("unknown"))):
            started = time.perf_counter()
            response = http.post(f"{GATEWAY}{path}", json=body(address), timeout=15)
            times[kind].append((time.perf_counter() - started) * 1000)
            if response.status_code != expected:
                raise RuntimeError(f"{endpoint} {kind}: {response.status_code} {response.text}")
            answers.add(response.text)
            time.sleep(GATEWAY_SPACING)
    if len(answers) != 1:
        raise RuntimeError(f"{endpoint}: the answers differ: {answers}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=60)
    args = parser.parse_args()
    existing = accounts(-(-args.samples // USES_PER_ACCOUNT))
    print(f"{args.samples} calls per kind and endpoint, through {GATEWAY}")
    print(f"{'endpoint':<10}{'kind':<10}{'median ms':>10}{'p90 ms':>10}")
    with requests.Session() as http:
        for endpoint in CALLS:
            times = measure(http, endpoint, existing, args.samples)
            for kind, values in times.items():
                print(
                    f"{endpoint:<10}{kind:<10}{statistics.median(values):>10.1f}"
                    f"{percentile(values, 90):>10.1f}"
                )
            ratio = statistics.median(times["existing"]) / statistics.median(times["unknown"])
            p90_ratio = percentile(times["existing"], 90) / percentile(times["unknown"], 90)
            print(f"{endpoint:<10}{'ratio':<10}{ratio:>10.2f}{p90_ratio:>10.2f}")


if __name__ == "__main__":
    main()
