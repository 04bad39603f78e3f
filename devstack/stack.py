"""Hearth's local stack: the real servers and every service, under supervisord.

    python3 devstack/stack.py install   install what is missing (Debian, PyPI, Maven Central)
    python3 devstack/stack.py infra     the servers only (PostgreSQL, Redis, Kafka,
                                        Elasticsearch, SMTP), provisioned and migrated
    python3 devstack/stack.py up        infra, then the gateway, services and workers
    python3 devstack/stack.py status    what runs, and whether it is healthy
    python3 devstack/stack.py logs [NAME] [-f]
    python3 devstack/stack.py down      stop everything; no process is left behind

Runs on the system python, standard library only: it creates the virtualenv.
All state lives in var/; deleting it (after `down`) starts over from scratch.
"""

import argparse
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

# Run as a script, so make the `devstack` package importable from the repo root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from devstack import credentials, install, programs, supervise
from devstack.layout import (
    GATEWAY_PORT,
    HOST,
    LOG_DIR,
    MAIL_DIR,
    ROOT,
    SERVICES,
    VENV_PYTHON,
)
from devstack.programs import Program
from devstack.shell import fail, say, step, tail

# Elasticsearch is the slowest: ~10 s here, several times that on a busy CI machine.
INFRA_TIMEOUT = 180
APPS_TIMEOUT = 90


def cmd_install(_: argparse.Namespace) -> None:
    install.install()
    step("everything is installed")


def cmd_infra(_: argparse.Namespace) -> None:
    started = time.monotonic()
    start_infra()
    print_table(programs.infra_programs())
    say(f"infra ready in {time.monotonic() - started:.0f}s")


def cmd_up(_: argparse.Namespace) -> None:
    started = time.monotonic()
    start_infra()
    programs.validate_gateway_config()
    apps = programs.app_programs()
    supervise.start(apps)
    supervise.wait_until_healthy(
        supervise.program_checks(apps) + gateway_route_checks(apps), APPS_TIMEOUT
    )
    seed_demo_data()
    print_table(programs.all_programs())
    print("\nThrough the gateway:")
    for name in SERVICES:
        print(f"    {gateway_readyz(name)}")
    print(f"\nLogs: {LOG_DIR}/<name>.log    Mail: {MAIL_DIR}/*.eml")
    say(f"up in {time.monotonic() - started:.0f}s")


def cmd_down(_: argparse.Namespace) -> None:
    supervise.shutdown()
    taken = [
        p.name for p in programs.all_programs() if any(map(programs.accepts_connections, p.ports))
    ]
    if taken:
        say(f"warning: ports of {', '.join(taken)} are still taken by processes not ours")
    step("the stack is down")


def cmd_status(_: argparse.Namespace) -> None:
    if not supervise.daemon_pid():
        say("supervisord is not running: the stack is down")
    print_table(programs.all_programs())


def cmd_logs(arguments: argparse.Namespace) -> None:
    if not arguments.name:
        for log in sorted(LOG_DIR.glob("*.log")):
            print(f"{log.stat().st_size:>12,}  {log}")
        return
    log = LOG_DIR / f"{arguments.name}.log"
    if not log.exists():
        raise fail(f"no log {log}; `stack.py logs` lists them")
    if arguments.follow:
        os.execvp("tail", ["tail", "-n", "100", "-F", str(log)])
    print(tail(log, lines=100))


# --- steps --------------------------------------------------------------------


def start_infra() -> None:
    install.install()
    supervise.ensure_daemon()
    infra = programs.infra_programs()
    supervise.start(infra)
    supervise.wait_until_healthy(supervise.program_checks(infra), INFRA_TIMEOUT)
    provision_database()
    migrate()


def seed_demo_data() -> None:
    step("seeding demo data through the API (once)")
    run_python("seeding demo data", "devstack/seed.py")


def provision_database() -> None:
    step("provisioning the database: roles, the hearth database, a schema per service")
    run_python("provisioning", "-m", "config.provision")


def run_python(what: str, *arguments: str) -> None:
    """Run the venv's Python; show its output, or fail with it."""
    completed = subprocess.run(
        [VENV_PYTHON, *arguments],
        cwd=ROOT,
        env=programs.service_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise fail(f"{what} failed:\n{completed.stdout}{completed.stderr}")
    say(completed.stdout.strip())


def migrate() -> None:
    step("migrating each service's schema, its Kafka principal's ACLs and its topics")
    migrated = {name: manage(name, "migrate", "--noinput") for name in SERVICES}
    grant_kafka_access()
    for name in SERVICES:
        manage(name, "ensure_topics")  # as the service itself: its ACLs allow its own
        applied = migrated[name].count("  Applying ")
        say(f"{name}: {f'{applied} migrations applied' if applied else 'up to date'}, topics ready")


def grant_kafka_access() -> None:
    """Each deployable's SCRAM credential and exactly the ACLs its settings call for
    (`manage.py kafka_acls --apply`, signed in as the administrator), the test
    suites' deployable too. In parallel: each is a Django start-up of its own."""
    user, password = credentials.kafka_admin()
    admin = {"KAFKA_ADMIN_USERNAME": user, "KAFKA_ADMIN_PASSWORD": password}
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = pool.map(
            lambda name: manage(name, "kafka_acls", "--apply", extra_environment=admin),
            credentials.deployables(),
        )
        for line in results:
            say(line.strip())


def manage(service: str, *arguments: str, extra_environment: dict | None = None) -> str:
    environment = programs.service_environment(service if service in SERVICES else None)
    if service not in SERVICES:  # a test suite's deployable: settings but no HEARTH_SERVICE
        environment["DJANGO_SETTINGS_MODULE"] = f"config.settings.{service}"
    completed = subprocess.run(
        [VENV_PYTHON, "manage.py", *arguments],
        cwd=ROOT,
        env={**environment, **(extra_environment or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        command = " ".join(arguments)
        raise fail(f"{service}: manage.py {command} failed:\n{completed.stdout}{completed.stderr}")
    return completed.stdout


def gateway_readyz(service: str) -> str:
    # The front end owns every path the APIs do not: its probe is the root one.
    prefix = "" if service == programs.HOME_SERVICE else f"/api/v1/{service}"
    return f"http://{HOST}:{GATEWAY_PORT}{prefix}/readyz"


def gateway_route_checks(apps: list[Program]) -> list[supervise.Check]:
    """Each service answering through the gateway; its own log explains a failure."""
    by_name = {p.name: p for p in apps}
    return [
        supervise.Check(
            f"{name} via gateway", by_name[name], programs.answers_200(gateway_readyz(name))
        )
        for name in SERVICES
    ]


def print_table(shown: list[Program]) -> None:
    current = supervise.states()
    rows = [("NAME", "GROUP", "WHERE", "STATE", "HEALTH", "DETAILS")]
    for program in shown:
        state, details = current.get(program.qualified_name, ("-", ""))
        rows.append(
            (program.name, program.group, program.endpoint, state, health(program, state), details)
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    print()
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


def health(program: Program, state: str) -> str:
    """The probe's verdict; a program supervisord does not run is not probed (`-`)."""
    if state != "RUNNING":
        return "-"
    if program.probe is None:
        return "running"
    return "ok" if programs.healthy(program.probe) else "FAILING"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name, handler in (
        ("install", cmd_install),
        ("infra", cmd_infra),
        ("up", cmd_up),
        ("down", cmd_down),
        ("status", cmd_status),
        ("logs", cmd_logs),
    ):
        command = commands.add_parser(name)
        command.set_defaults(handler=handler)
    logs = commands.choices["logs"]
    logs.add_argument("name", nargs="?", help="a program, e.g. kafka or accounts")
    logs.add_argument("-f", "--follow", action="store_true")
    arguments = parser.parse_args()
    arguments.handler(arguments)


if __name__ == "__main__":
    main()
