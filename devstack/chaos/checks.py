"""The loss checks, once the load has drained: what the platform acknowledged or
committed is still there, and nothing happened twice.

Each check waits (up to its deadline) for the platform to settle, since events
and emails follow a write asynchronously: a check fails only when the deadline
passes with something still missing. SQL goes through a runner (the local
PostgreSQL, or psql inside the cluster's Patroni primary), as the superuser,
which reads every schema.
"""

import json
import os
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from devstack import credentials
from devstack.chaos import kills
from devstack.chaos.client import Client
from devstack.chaos.load import Load, User
from devstack.chaos.recorder import Write
from devstack.layout import PG_BIN, ROOT, SERVICES, VENV_PYTHON

DATABASE = os.environ.get("HEARTH_CHAOS_DATABASE", "hearth")
NOTIFICATION_HEADER = "X-Hearth-Notification-Id"  # apps/notifications/services.py


class SqlRunner(Protocol):
    def rows(self, sql: str) -> list[list[str]]: ...


def _psql_arguments() -> list[str]:
    return ["-X", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-d", DATABASE]


def _parse(output: str) -> list[list[str]]:
    return [line.split("\t") for line in output.splitlines() if line]


class LocalSql:
    """The local stack's PostgreSQL (127.0.0.1:5433), with the provisioning login."""

    def rows(self, sql: str) -> list[list[str]]:
        admin = urlsplit(credentials.provisioning()["DATABASE_ADMIN_URL"])
        completed = subprocess.run(
            [
                str(PG_BIN / "psql"),
                "-h",
                admin.hostname,
                "-p",
                str(admin.port),
                "-U",
                admin.username,
                *_psql_arguments(),
            ],
            input=sql,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={**os.environ, "PGPASSWORD": admin.password},
        )
        if completed.returncode != 0:
            raise RuntimeError(f"psql: {completed.stderr.strip()}")
        return _parse(completed.stdout)


class ClusterSql:
    """psql inside whichever Patroni pod is the primary now, signed in with the
    password in that pod's environment."""

    def rows(self, sql: str) -> list[list[str]]:
        script = 'PGPASSWORD="$PATRONI_SUPERUSER_PASSWORD" exec psql -U postgres "$@"'
        output = kubectl_exec_psql(kills.postgres_primary_pod(), script, sql)
        return _parse(output)


def kubectl_exec_psql(pod: str, script: str, sql: str) -> str:
    return kills.kubectl(
        "exec",
        "-i",
        pod,
        "-c",
        "patroni",
        "--",
        "sh",
        "-c",
        script,
        "psql",
        *_psql_arguments(),
        stdin=sql,
    )


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def literals(values: list[str]) -> str:
    return ", ".join(literal(v) for v in values) or "NULL"


@dataclass
class CheckResult:
    name: str
    checked: int
    bad: int
    target: int = 0
    details: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.bad <= self.target


def settle(
    measure: Callable[[], CheckResult], deadline_s: float, pause_s: float = 2.0
) -> CheckResult:
    """Measure until nothing is bad or the deadline passes; the last measurement."""
    deadline = time.monotonic() + deadline_s
    while True:
        result = measure()
        if result.passed or time.monotonic() > deadline:
            return result
        time.sleep(pause_s)


# --- 1. every acknowledged write is readable ------------------------------------


def read_back(write: Write, client: Client, load: Load) -> str | None:
    """None when the write reads back as acknowledged, else what is wrong."""
    users = {u.email: u for u in [*load.world.landlords, *load.world.renters]}
    if write.kind == "account":
        outcome = client.send(
            "POST",
            "/api/v1/auth/token",
            json={"email": write.id, "password": load.run_password},
            retry=True,
        )
        if outcome.status == 200:
            return None
        return f"account {write.id}: sign-in {outcome.status or outcome.error}"
    if write.kind == "listing":
        owner: User = users[write.expect["owner"]]
        path, token = f"/api/v1/listings/{write.id}", owner.token
    else:
        renter: User = users[write.expect["renter"]]
        path, token = f"/api/v1/applications/{write.id}", renter.token
    outcome = client.send("GET", path, token=token, retry=True)
    if outcome.status != 200:
        return f"{write.kind} {write.id}: {outcome.status or outcome.error}"
    status = outcome.response.json().get("status")
    if "status" in write.expect and status not in write.expect["status"]:
        return f"{write.kind} {write.id}: {status}, acknowledged as {write.expect['status']}"
    return None


def writes_readable(
    writes: list[Write], client: Client, load: Load, deadline_s: float
) -> CheckResult:
    pending = list(writes)

    def measure() -> CheckResult:
        nonlocal pending
        with ThreadPoolExecutor(8) as pool:
            problems = list(pool.map(lambda w: read_back(w, client, load), pending))
        pending = [w for w, problem in zip(pending, problems, strict=True) if problem]
        details = [p for p in problems if p]
        return CheckResult(
            "acknowledged writes lost", len(writes), len(pending), details=details[:20]
        )

    return settle(measure, deadline_s)


# --- 2. every committed event reached every consumer group ------------------------

_SPECS = """
import json
from config.services import select_settings_module
select_settings_module()
import django
django.setup()
from kernel.events.registry import consumer_specs
print(json.dumps([
    {"group": s.group_id, "topics": list(s.topics), "types": sorted(s.handlers)}
    for s in consumer_specs().values()
]))
"""


@dataclass(frozen=True)
class Group:
    schema: str  # where its inbox is: its deployable's schema
    group: str
    topics: tuple[str, ...]
    types: tuple[str, ...]


def consumer_groups() -> list[Group]:
    """Every deployable's consumer groups, from its own settings (the same code
    runs in the cluster's images)."""

    def of(service: str) -> list[Group]:
        completed = subprocess.run(
            [str(VENV_PYTHON), "-c", _SPECS],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={
                **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
                "HEARTH_SERVICE": service,
            },
            timeout=120,
            check=True,
        )
        return [
            Group(service, s["group"], tuple(s["topics"]), tuple(s["types"]))
            for s in json.loads(completed.stdout.strip().splitlines()[-1])
        ]

    with ThreadPoolExecutor(len(SERVICES)) as pool:
        return [group for groups in pool.map(of, SERVICES) for group in groups]


def outbox_schemas(sql: SqlRunner) -> list[str]:
    rows = sql.rows(
        "SELECT table_schema FROM information_schema.tables WHERE table_name = 'outbox' "
        f"AND table_schema IN ({literals(list(SERVICES))}) ORDER BY 1"
    )
    return [row[0] for row in rows]


def missing_events_sql(group: Group, schemas: list[str], since: datetime) -> str:
    outboxes = " UNION ALL ".join(
        f"SELECT event_id, topic, event_type, created_at FROM {schema}.outbox" for schema in schemas
    )
    return (
        "SELECT count(*), count(*) FILTER (WHERE NOT EXISTS ("
        f"SELECT 1 FROM {group.schema}.inbox i WHERE i.consumer_group = {literal(group.group)} "
        f"AND i.event_id = o.event_id)) FROM ({outboxes}) o "
        f"WHERE o.created_at >= {literal(since.isoformat())} "
        f"AND o.topic IN ({literals(list(group.topics))}) "
        f"AND o.event_type IN ({literals(list(group.types))})"
    )


def events_delivered(
    sql: SqlRunner, groups: list[Group], since: datetime, deadline_s: float
) -> CheckResult:
    schemas = outbox_schemas(sql)
    script = ";\n".join(missing_events_sql(g, schemas, since) for g in groups) + ";"

    def measure() -> CheckResult:
        rows = sql.rows(script)
        # The groups missing events first: the report prints only the first few.
        counted = sorted(zip(groups, rows, strict=True), key=lambda pair: -int(pair[1][1]))
        details = [
            f"{g.group}: {missing} of {expected} missing" for g, (expected, missing) in counted
        ]
        return CheckResult(
            "events lost (outbox -> every inbox)",
            checked=sum(int(r[0]) for r in rows),
            bad=sum(int(r[1]) for r in rows),
            details=details,
        )

    return settle(measure, deadline_s)


# --- 3. every notification email sent exactly once --------------------------------


def mails_per_notification(mail_dir: Path, since: float) -> Counter:
    counts: Counter = Counter()
    parser = BytesParser(policy=default_policy)
    for path in mail_dir.glob("*.eml"):
        if path.stat().st_mtime < since:
            continue
        with path.open("rb") as file:
            value = parser.parse(file, headersonly=True)[NOTIFICATION_HEADER]
        if value:
            counts[str(value)] += 1
    return counts


def email_verdict(
    notifications: dict[str, str], counts: Counter
) -> tuple[list[str], list[str], list[str]]:
    """The run's notifications (id -> status) against the mails counted per id:
    (sent more than once, owed an email, owed but never sent)."""
    duplicates = sorted(n for n, c in counts.items() if c > 1 and n in notifications)
    # Cancelled ones (a reset link voided meanwhile) are rightly never sent.
    owed = sorted(n for n, status in notifications.items() if status != "cancelled")
    unsent = [n for n in owed if counts[n] == 0]
    return duplicates, owed, unsent


def emails(sql: SqlRunner, mail_dir: Path, since: datetime, deadline_s: float) -> list[CheckResult]:
    query = (
        "SELECT id, status FROM notifications.notifications_notification "
        f"WHERE created_at >= {literal(since.isoformat())}"
    )
    last: list[CheckResult] = []

    def measure() -> CheckResult:
        notifications = dict(sql.rows(query))
        counts = mails_per_notification(mail_dir, since.timestamp() - 5)
        duplicates, owed, unsent = email_verdict(notifications, counts)
        last[:] = [
            CheckResult(
                "duplicate emails", len(notifications), len(duplicates), details=duplicates[:20]
            ),
            CheckResult(
                "emails never sent",
                len(owed),
                len(unsent),
                details=[f"{n} ({notifications[n]})" for n in unsent[:20]],
            ),
        ]
        # Both at once: settled when neither is bad.
        return CheckResult("emails", 0, sum(r.bad for r in last))

    settle(measure, deadline_s)
    return last


# --- 4. no duplicate applications -------------------------------------------------


def duplicate_applications(sql: SqlRunner, since: datetime) -> CheckResult:
    rows = sql.rows(
        "SELECT renter_id, listing_id, count(*) FROM applications.applications_application "
        f"WHERE submitted_at >= {literal(since.isoformat())} GROUP BY 1, 2"
    )
    duplicates = [f"renter {r} listing {lst}: {n}" for r, lst, n in rows if int(n) > 1]
    return CheckResult(
        "duplicate applications", len(rows), len(duplicates), details=duplicates[:20]
    )
