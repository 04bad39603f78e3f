"""Every API deployable fuzzed from the schema it serves, with schemathesis, on the
running platform: its public operations anonymously, and every operation signed in
as a fresh user of the fuzz's own, where the ignored_auth check also calls each
one without the token and expects the 401 it documents. Where the schema links
a created resource to the operations on it (kernel.api.openapi), the signed-in run
also has a stateful phase: create a listing, then publish, edit, delete it.
Internal operations are fuzzed once more with a service token of the deployable
allowed to call them.

Checks: no 5xx, only documented statuses and content types, bodies that match
their schemas, and each answer within MAX_RESPONSE_SECONDS. Calls go to each
deployable's own port, not through the gateway: the gateway refuses
/api/v1/*/internal/ and limits sign-ins per address, which would hide the
deployable's own answers. Accounts counts its per-address limits by the last
X-Forwarded-For hop, so the fuzz announces an address of its own and leaves the
budget of 127.0.0.1, which the other tests share, alone.

Per run, var/test-reports/fuzz/<deployable>-<caller>/ holds schemathesis' JUnit
report, its cassette (every request and response) and its output; summary.txt the
operations and generated cases per run and the time taken.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import yaml

from config.services import SERVICES
from devstack.api_client import Api
from devstack.layout import HOST, ROOT

REPORTS = ROOT / "var" / "test-reports" / "fuzz"
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
]
# Generous: a refused sign-in still hashes a password (as slow as a real one, so it
# tells nothing), and the machine runs PARALLEL_RUNS fuzzers beside the platform.
MAX_RESPONSE_SECONDS = 5
PARALLEL_RUNS = 3
# Enough generated cases per operation and phase to reach the refusals (coverage
# covers each constraint's edges; fuzzing adds random ones) within the suite's budget.
MAX_EXAMPLES = 50
FUZZ_ADDRESS = "198.51.100.70"  # TEST-NET-2: counts the fuzz's own sign-in attempts
# Who signs in for each deployable: the role whose operations it has.
SIGNED_IN_ROLE = {"accounts": "renter", "listings": "landlord", "applications": "renter"}
# Operations that end every session of the caller: fuzzed as a user of their own,
# or the rest of the signed-in run would be anonymous.
SESSION_ENDING = {"accounts": ["auth_logout_everywhere"]}
# Who may call each internal operation (its view's service_called permission): the
# run with that caller's service token. A new internal operation must be listed.
INTERNAL_CALLERS = {"accounts_internal_reset_link": "notifications"}
RUN_TIMEOUT_SECONDS = 300


def api_deployables() -> list[str]:
    """The deployables that serve an API (apps.<name>.api.urls), new ones included."""
    return [
        name
        for name, service in SERVICES.items()
        if (ROOT / service.app.replace(".", "/") / "api" / "urls.py").exists()
    ]


@dataclass
class Run:
    """One schemathesis run: a deployable's operations, as one caller."""

    deployable: str
    caller: str
    operations: list[str]
    role: str | None = None  # signed in as a user of this role, or anonymous
    own_user: bool = False  # a user of its own, not the one the other runs share
    extra_checks: tuple[str, ...] = ()
    stateful: bool = False  # also follow the schema's links (create, then act on it)
    service_caller: str | None = None  # signed in with this deployable's service token

    @property
    def name(self) -> str:
        return f"{self.deployable}-{self.caller}"

    @property
    def reports(self) -> Path:
        return REPORTS / self.name

    def command(self, schema_file: Path, token: str | None) -> list[str]:
        headers = [f"X-Forwarded-For: {FUZZ_ADDRESS}"]
        if token:
            headers.append(f"Authorization: Bearer {token}")
        return [
            str(SCHEMATHESIS),
            "run",
            str(schema_file),
            "--url",
            f"http://{HOST}:{SERVICES[self.deployable].port}",
            "--checks",
            ",".join([*CHECKS, *self.extra_checks]),
            "--max-response-time",
            str(MAX_RESPONSE_SECONDS),
            "--max-examples",
            str(MAX_EXAMPLES),
            "--phases",
            ",".join(["examples", "coverage", "fuzzing", *(["stateful"] if self.stateful else [])]),
            "--generation-database",
            "none",
            "--no-color",
            "--report",
            "junit,vcr",
            "--report-junit-path",
            str(self.reports / "junit.xml"),
            "--report-vcr-path",
            str(self.reports / "cassette.yaml"),
            *[part for header in headers for part in ("--header", header)],
            *[
                part
                for operation in self.operations
                for part in ("--include-operation-id", operation)
            ],
        ]


def plan(deployable: str, schema: dict) -> list[Run]:
    """Public operations anonymously; every operation signed in, where ignored_auth
    also calls each one without the token and expects the 401 it documents."""
    operations = {
        operation["operationId"]: operation
        for item in schema["paths"].values()
        for operation in item.values()
    }
    public = [op for op, spec in operations.items() if {} in spec.get("security", [{}])]
    ending = SESSION_ENDING.get(deployable, [])
    runs = [Run(deployable, "anonymous", public)] if public else []
    signed_in = [op for op in operations if op not in ending]
    role = SIGNED_IN_ROLE.get(deployable, "renter")
    linked = any(
        "links" in response
        for operation in operations.values()
        for response in operation["responses"].values()
    )
    runs.append(
        Run(
            deployable,
            "signed-in",
            signed_in,
            role,
            extra_checks=("ignored_auth",),
            stateful=linked,
        )
    )
    if ending:
        # A user of its own: the sessions it ends are no other run's.
        runs.append(Run(deployable, "ending-sessions", ending, role, own_user=True))
    internal = [
        op
        for op, spec in operations.items()
        if any("serviceToken" in requirement for requirement in spec.get("security", []))
    ]
    for caller in sorted({INTERNAL_CALLERS[op] for op in internal}):
        called = [op for op in internal if INTERNAL_CALLERS[op] == caller]
        runs.append(Run(deployable, f"called-by-{caller}", called, service_caller=caller))
    return runs


def service_token(caller: str, callee: str) -> str:
    """A service token of `caller` for `callee`, minted with the caller's own key as
    the caller does (kernel.auth.tokens); it lives a minute, enough for one run."""
    minted = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            f"from kernel.auth.tokens import ServiceToken; "
            f"print(ServiceToken.for_callee({callee!r}))",
        ],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
            "HEARTH_SERVICE": caller,
        },
        capture_output=True,
        text=True,
        check=True,
    )
    return minted.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def fuzz_users():
    """One fresh user per role, registered through the gateway like anyone; the
    listings a fuzz landlord drafted are deleted afterwards."""
    users = {
        role: Api().new_user(role=role, name=f"Fuzz {role.title()}")
        for role in ("landlord", "renter")
    }
    yield users
    landlord = users["landlord"]
    while page := landlord.call("GET", "/api/v1/listings/mine")["results"]:
        for listing in page:
            landlord.call("DELETE", f"/api/v1/listings/{listing['id']}", expect=204)


@dataclass
class Outcome:
    run: Run
    schema: dict
    completed: subprocess.CompletedProcess
    seconds: float


@pytest.fixture(scope="module")
def outcomes(fuzz_users) -> dict[str, Outcome]:
    """The runs, PARALLEL_RUNS at a time (each deployable has its own server), the
    longest first: the fuzzing takes about the longest run's time, not the sum."""
    started = time.monotonic()
    planned = []
    for deployable in api_deployables():
        schema = served_schema(deployable)
        if schema["paths"]:
            planned += [(run, schema) for run in plan(deployable, schema)]
    planned.sort(key=lambda entry: -len(entry[0].operations))

    def execute(run: Run, schema: dict) -> Outcome:
        shutil.rmtree(run.reports, ignore_errors=True)
        run.reports.mkdir(parents=True)
        # The schema as served, from a file: the schema view refuses a service token.
        schema_file = run.reports / "schema.json"
        schema_file.write_text(json.dumps(schema))
        token = None
        if run.role:
            user = Api().new_user(role=run.role) if run.own_user else fuzz_users[run.role]
            token = user.access
        elif run.service_caller:
            token = service_token(run.service_caller, run.deployable)
        began = time.monotonic()
        completed = subprocess.run(
            run.command(schema_file, token),
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_SECONDS,
            check=False,
        )
        (run.reports / "output.txt").write_text(completed.stdout + completed.stderr)
        return Outcome(run, schema, completed, time.monotonic() - began)

    with ThreadPoolExecutor(max_workers=PARALLEL_RUNS) as pool:
        results = {
            outcome.run.name: outcome
            for outcome in pool.map(lambda entry: execute(*entry), planned)
        }
    write_summary(results, time.monotonic() - started)
    return results


def write_summary(results: dict[str, Outcome], seconds: float) -> None:
    lines = [f"fuzzing took {seconds:.0f} s, {PARALLEL_RUNS} runs at a time"]
    for outcome in results.values():
        counts = cases_per_operation(outcome)
        generated = re.search(r"(\d+) generated", outcome.completed.stdout)
        lines.append(
            f"{outcome.run.name}: {len(counts)} operations, "
            f"{generated.group(1) if generated else '?'} cases generated in "
            f"{outcome.seconds:.0f} s; requests per operation {json.dumps(counts, sort_keys=True)}"
        )
    (REPORTS / "summary.txt").write_text("\n".join(lines) + "\n")


def served_schema(deployable: str) -> dict:
    base = f"http://{HOST}:{SERVICES[deployable].port}"
    response = requests.get(f"{base}/api/v1/{deployable}/schema/?format=json", timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def operation_matchers(schema: dict) -> list[tuple[str, re.Pattern, str]]:
    """(method, path pattern, label) per operation, to count a cassette's requests;
    literal paths first, so /listings/mine is not taken for /listings/{id}."""
    matchers = []
    for path, item in sorted(schema["paths"].items(), key=lambda entry: entry[0].count("{")):
        pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]*", re.escape(path)) + "$")
        for method, operation in item.items():
            matchers.append((method.upper(), pattern, operation["operationId"]))
    return matchers


def cases_per_operation(outcome: Outcome) -> dict[str, int]:
    """Requests sent per operation of the run, from its cassette."""
    cassette = outcome.run.reports / "cassette.yaml"
    matchers = operation_matchers(outcome.schema)
    counts = dict.fromkeys(outcome.run.operations, 0)
    if not cassette.exists():
        return counts
    recorded = yaml.load(cassette.read_text(), Loader=yaml.CSafeLoader)
    for interaction in recorded.get("http_interactions") or []:
        request = interaction["request"]
        path = requests.utils.urlparse(request["uri"]).path
        for method, pattern, label in matchers:
            if method == request["method"] and pattern.match(path):
                counts[label] = counts.get(label, 0) + 1
                break
    return counts


def failures(junit: Path) -> list[str]:
    root = ET.parse(junit).getroot()
    return [
        f"{case.get('name')}:\n{problem.text}"
        for case in root.iter("testcase")
        for problem in [*case.findall("failure"), *case.findall("error")]
    ]


def planned_runs() -> list[str]:
    """Run names for the test ids, from the committed schemas (the contract test
    holds them to the served ones)."""
    names = []
    for deployable in api_deployables():
        committed = ROOT / "docs" / "api" / f"{deployable}.yaml"
        schema = yaml.safe_load(committed.read_text()) if committed.exists() else {"paths": {}}
        if schema["paths"]:
            names += [run.name for run in plan(deployable, schema)]
    return names


@pytest.mark.parametrize("name", planned_runs())
def test_the_api_keeps_its_contract_under_fuzzing(name, outcomes):
    outcome = outcomes[name]
    junit = outcome.run.reports / "junit.xml"
    found = failures(junit) if junit.exists() else [outcome.completed.stderr[-3000:]]
    assert not found, "\n\n".join(found)[:20000]
    assert outcome.completed.returncode == 0, (
        outcome.completed.stdout[-3000:] + outcome.completed.stderr
    )
    # Every operation was called: a silent skip would be a hole in the contract's check.
    counts = cases_per_operation(outcome)
    assert all(counts[operation] > 0 for operation in outcome.run.operations), counts
