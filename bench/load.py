"""Peak load: the platform's request mix at fixed rates (open model), beside two ceilings.

    .venv/bin/python bench/load.py [--rates 500,1000,1500,3000] [--duration 60]

Needs the running platform (`make up`, with its demo data). vegeta (built into
var/tools/bin on first use, from the Go module proxy) sends each rate for
`--duration` seconds through the gateway, whether or not earlier requests have
been answered, as independent users do (an open model: a slow server gets a
queue, not a slower client). The mix, by share of requests:

    60 %  anonymous API: listing search (by city), listing detail, full-text search
    15 %  UI pages: the home page (a search) and a listing's page
    15 %  signed-in reads: a renter's applications and profile
     5 %  writes: a landlord creates a listing
     5 %  applications: a renter applies to a listing (each pair once)

Per rate it prints the latency percentiles of every answer, the errors (a 5xx, a
timeout, a refused connection; 429 and 503 are counted apart as refusals, with
their own p99, since fast refusal is how overload should look), the goodput (2xx
a second) and the CPU per request: the machine's busy CPU time during the step,
less vegeta's own, over the requests answered. In the same run it measures two
ceilings as fast as 64 connections can go, a bare nginx answer (/nginx-health)
and a bare Django JSON view (listings' /healthz), and prints each rate's goodput
as a share of them.
"""

import argparse
import base64
import json
import math
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._stats import percentile
from devstack import tools
from devstack.api_client import GATEWAY, Api, ApiError, listing_fields
from devstack.seed import CITIES, DEMO_PASSWORD, demo_email

T = TypeVar("T")
VEGETA = {"vegeta": ("github.com/tsenart/vegeta/v12", "github.com/tsenart/vegeta/v12", "v12.13.0")}
MIX = {  # share of requests per kind; the kinds are in targets()
    "search": 0.25,
    "detail": 0.25,
    "fulltext": 0.10,
    "home page": 0.08,
    "listing page": 0.07,
    "my applications": 0.08,
    "me": 0.07,
    "create listing": 0.05,
    "apply": 0.05,
}
REFUSALS = (429, 503)
CEILING_SECONDS = 10
CEILING_CONNECTIONS = 32  # under the gateway's in-flight limit per deployable


@dataclass
class Fixtures:
    listing_ids: list[str]
    landlord: str  # access tokens
    renters: list[str] = field(default_factory=list)


def past_the_rate_limit(call: Callable[[], T]) -> T:
    """`call`'s answer, waiting out the gateway's per-address limits (429) on the
    routes that check a password."""
    while True:
        try:
            return call()
        except ApiError as error:
            if error.response.status_code != 429:
                raise
            time.sleep(float(error.response.headers.get("Retry-After", "1")))


def signed_in(email: str, password: str) -> str:
    """An access token."""
    return past_the_rate_limit(lambda: Api().sign_in(email=email, password=password).access)


def register(email: str, password: str) -> None:
    past_the_rate_limit(
        lambda: Api().register(
            email=email, password=password, full_name="Bench Renter", role="renter"
        )
    )


def published_listings() -> list[str]:
    anonymous = Api()
    ids: list[str] = []
    for city in CITIES:
        ids += [item["id"] for item in anonymous.search(city=city)["results"]]
    if not ids:
        raise SystemExit("no published listings: start the platform with its demo data (make up)")
    return ids


def renters_for(applications: int, listings: int, run: str, step: int) -> list[str]:
    """Enough new renters that each applies to each listing at most once."""
    tokens = []
    for number in range(math.ceil(applications / listings)):
        email = f"bench-{run}-{step}-{number}@bench.hearth.local"
        register(email, DEMO_PASSWORD)
        tokens.append(signed_in(email, DEMO_PASSWORD))
    return tokens


def target(method: str, path: str, token: str | None = None, body: dict | None = None) -> dict:
    header = {"Accept": ["application/json"]}
    entry: dict = {"method": method, "url": f"{GATEWAY}{path}", "header": header}
    if token:
        header["Authorization"] = [f"Bearer {token}"]
    if body is not None:
        header["Content-Type"] = ["application/json"]
        entry["body"] = base64.b64encode(json.dumps(body).encode()).decode()
    return entry


def targets(count: int, fixtures: Fixtures, rng: random.Random) -> list[tuple[str, dict]]:
    """`count` requests in the mix's shares, shuffled, with their kinds; every
    application a new pair."""
    pairs = iter(
        rng.sample(
            [(r, listing) for r in fixtures.renters for listing in fixtures.listing_ids],
            k=len(fixtures.renters) * len(fixtures.listing_ids),
        )
    )
    cities, ids, renters = list(CITIES), fixtures.listing_ids, fixtures.renters

    def application() -> dict:
        renter, listing = next(pairs)
        body = {
            "listing_id": listing,
            "move_in_date": "2027-03-01",
            "occupants": 2,
            "monthly_income": {"amount": "5200.00", "currency": "EUR"},
            "message": "Bench application.",
        }
        return target("POST", "/api/v1/applications", renter, body)

    makers = {
        "search": lambda: target(
            "GET", f"/api/v1/listings?city={rng.choice(cities)}&ordering=rent"
        ),
        "detail": lambda: target("GET", f"/api/v1/listings/{rng.choice(ids)}"),
        "fulltext": lambda: target("GET", f"/api/v1/search/listings?q={rng.choice(cities)}"),
        "home page": lambda: target("GET", f"/?city={rng.choice(cities)}"),
        "listing page": lambda: target("GET", f"/listings/{rng.choice(ids)}"),
        "my applications": lambda: target("GET", "/api/v1/applications", rng.choice(renters)),
        "me": lambda: target("GET", "/api/v1/accounts/me", rng.choice(renters)),
        "create listing": lambda: target(
            "POST", "/api/v1/listings", fixtures.landlord, listing_fields()
        ),
        "apply": application,
    }
    assert makers.keys() == MIX.keys()
    kinds = [kind for kind, share in MIX.items() for _ in range(round(share * count))]
    rng.shuffle(kinds)
    return [(kind, makers[kind]()) for kind in kinds]


def busy_cpu_seconds() -> float:
    """CPU time the whole machine has spent not idle, since boot."""
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Step:
    results: list[dict]
    seconds: float
    cpu_seconds: float | None  # the machine's, less vegeta's; None for a part of a step

    def latencies_ms(self, codes: tuple[int, ...] | None = None) -> list[float]:
        return [r["latency"] / 1e6 for r in self.results if codes is None or r["code"] in codes]

    @property
    def codes(self) -> Counter:
        return Counter(r["code"] for r in self.results)

    @property
    def goodput(self) -> float:
        return sum(1 for r in self.results if 200 <= r["code"] < 300) / self.seconds

    @property
    def errors(self) -> int:
        """Answers that are neither a success nor a fast refusal (code 0: no answer)."""
        return sum(1 for r in self.results if not 200 <= r["code"] < 300) - sum(
            self.codes[code] for code in REFUSALS
        )


def attack(vegeta: Path, targets_file: Path, arguments: list[str]) -> Step:
    with tempfile.NamedTemporaryFile(suffix=".bin") as output:
        busy, mine = busy_cpu_seconds(), children_cpu_seconds()
        started = time.monotonic()
        subprocess.run(
            [
                *(vegeta, "attack", "-format=json", f"-targets={targets_file}"),
                *("-max-body=0", "-timeout=10s", f"-output={output.name}", *arguments),
            ],
            check=True,
        )
        seconds = time.monotonic() - started
        cpu = (busy_cpu_seconds() - busy) - (children_cpu_seconds() - mine)
        encoded = subprocess.run(
            [vegeta, "encode", "-to=json", output.name], check=True, capture_output=True, text=True
        )
    results = [json.loads(line) for line in encoded.stdout.splitlines() if line]
    return Step(results, seconds, cpu)


def ceiling(vegeta: Path, path: str, directory: Path) -> Step:
    targets_file = directory / "ceiling.json"
    targets_file.write_text(json.dumps(target("GET", path)) + "\n")
    return attack(
        vegeta,
        targets_file,
        ["-rate=0", f"-max-workers={CEILING_CONNECTIONS}", f"-duration={CEILING_SECONDS}s"],
    )


def row(label: str, step: Step) -> str:
    all_ms = step.latencies_ms()
    answered = len(step.results)
    refused = sum(step.codes[code] for code in REFUSALS)
    refused_p99 = percentile(step.latencies_ms(REFUSALS), 99) if refused else math.nan
    return (
        f"{label:>13}  p50 {percentile(all_ms, 50):7.1f}  p90 {percentile(all_ms, 90):7.1f}"
        f"  p99 {percentile(all_ms, 99):7.1f}  max {max(all_ms):7.1f} ms"
        f"  errors {step.errors / answered:6.2%}  refused {refused / answered:6.2%}"
        f" (p99 {refused_p99:.1f} ms)  goodput {step.goodput:6.0f}/s"
    ) + (f"  CPU {step.cpu_seconds / answered * 1000:5.2f} ms/req" if step.cpu_seconds else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="500,1000,1500,3000")
    parser.add_argument("--duration", type=int, default=60, help="seconds per rate")
    parser.add_argument(
        "--pause", type=int, default=20, help="seconds between rates, for queued work to drain"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--by-kind", action="store_true", help="a row per kind of request too")
    args = parser.parse_args()
    rates = [int(rate) for rate in args.rates.split(",")]

    tools.install(VEGETA, "Bench tool (vegeta)")
    vegeta = tools.tool_path("vegeta")
    rng = random.Random(args.seed)
    run = f"{int(time.time())}"
    listing_ids = published_listings()
    landlord = signed_in(demo_email("landlord", 1), DEMO_PASSWORD)
    print(f"{len(listing_ids)} published listings; {args.duration} s per rate through {GATEWAY}")

    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        ceilings = {
            "bare nginx": ceiling(vegeta, "/nginx-health", directory),
            "bare Django": ceiling(vegeta, "/api/v1/listings/healthz", directory),
        }
        for label, step in ceilings.items():
            print(row(label, step))
        for number, rate in enumerate(rates):
            time.sleep(args.pause)
            count = rate * args.duration
            # New renters per rate: each applies to each listing once, and their
            # tokens (10 minutes) outlive the step.
            renters = renters_for(round(MIX["apply"] * count), len(listing_ids), run, number)
            fixtures = Fixtures(listing_ids, landlord, renters)
            targets_file = directory / f"mix-{rate}.json"
            kind_of = {}  # vegeta's results keep the method and URL, not a label
            with targets_file.open("w") as out:
                for kind, entry in targets(count, fixtures, rng):
                    kind_of[entry["method"], entry["url"]] = kind
                    out.write(json.dumps(entry) + "\n")
            step = attack(
                vegeta,
                targets_file,
                [f"-rate={rate}/1s", f"-duration={args.duration}s", "-max-workers=5000"],
            )
            shares = ", ".join(
                f"{step.goodput / c.goodput:.2f} of {label}" for label, c in ceilings.items()
            )
            print(row(f"{rate}/s", step) + f"  ({shares})")
            other = {code: n for code, n in step.codes.items() if not 200 <= code < 300}
            if other:
                print(f"{'':>13}  not 2xx: {dict(sorted(other.items()))}")
                causes = Counter(r["error"][-60:] for r in step.results if r["code"] == 0)
                for cause, n in causes.most_common(3):
                    print(f"{'':>13}  no answer ({n}): {cause}")
            if args.by_kind:
                for kind in MIX:
                    part = [r for r in step.results if kind_of[r["method"], r["url"]] == kind]
                    print(row(kind, Step(part, step.seconds, None)))


if __name__ == "__main__":
    main()
