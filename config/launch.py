"""The entry point of a deployable's image: its arguments choose the process.

    web                       gunicorn on 0.0.0.0:8000 (config/gunicorn_conf.py;
                              HEARTH_WEB_PORT picks another port)
    relay                     the outbox relay (manage.py relay_outbox)
    consumers                 its event consumers (manage.py consume_events)
    worker                    its Celery worker, queue <service>
    beat                      its Celery beat
    manage <command> [args]   any manage.py command: migrate, provision, ensure_topics...

The deployable is HEARTH_SERVICE, baked into each image. The launcher replaces
itself with the process (exec), so that process is PID 1 and receives the SIGTERM
Kubernetes sends: gunicorn, the relay, the consumers and Celery each shut down
gracefully on it. A process the deployable does not run (a relay where nothing is
published, a worker without Celery) is refused, so a wrong chart value fails at once.
Only /tmp is writable in the image: whatever a process writes goes there.
"""

import os
import sys
from pathlib import Path

from config.services import SERVICE_ENV_VAR, SERVICES, Service

APP_DIR = Path(__file__).resolve().parent.parent
WRITABLE_DIR = "/tmp"  # noqa: S108 - the image's one writable place, an emptyDir of its own
# 8000 in Kubernetes; a container on the host's network (beside the local stack,
# whose gateway has 8000) is given another.
WEB_PORT = int(os.environ.get("HEARTH_WEB_PORT", "8000"))
USAGE = "usage: launch {web|relay|consumers|worker|beat|manage <command> [args...]}"


def command_line(service: Service, process: str, arguments: list[str]) -> list[str]:
    python = sys.executable
    manage = str(APP_DIR / "manage.py")
    celery = [python, "-m", "celery", "-A", "config.celery"]
    if process == "web":
        return [
            *(python, "-m", "gunicorn", "config.wsgi:application"),
            *("-c", str(APP_DIR / "config" / "gunicorn_conf.py")),
            *("--bind", f"0.0.0.0:{WEB_PORT}", "--worker-tmp-dir", WRITABLE_DIR),
            *arguments,
        ]
    if process == "relay":
        refuse_unless(service.publishes_events, service, "publishes no event")
        return [python, manage, "relay_outbox", *arguments]
    if process == "consumers":
        refuse_unless(service.consumes_events, service, "consumes no event")
        return [python, manage, "consume_events", *arguments]
    if process == "worker":
        refuse_unless(service.celery_worker, service, "runs no Celery worker")
        # Threads: its tasks wait on the network (mail), as in the local stack.
        return [
            *celery,
            *("worker", "--loglevel", "INFO", "--pool", "threads", "--concurrency", "8"),
            *("--hostname", f"{service.name}@%h", *arguments),
        ]
    if process == "beat":
        refuse_unless(service.celery_beat, service, "runs no Celery beat")
        # Its schedule's state is a file: rebuilt from the code's schedule when lost.
        schedule = f"{WRITABLE_DIR}/celerybeat-{service.name}"
        return [*celery, "beat", "--loglevel", "INFO", "--schedule", schedule, *arguments]
    if process == "manage":
        if not arguments:
            raise SystemExit(USAGE)
        return [python, manage, *arguments]
    raise SystemExit(f"unknown process {process!r}; {USAGE}")


def refuse_unless(runs_it: bool, service: Service, reason: str) -> None:
    if not runs_it:
        raise SystemExit(f"the {service.name} deployable {reason} (config/services.py)")


def main(argv: list[str]) -> None:
    name = os.environ.get(SERVICE_ENV_VAR, "")
    if name not in SERVICES:
        raise SystemExit(f"{SERVICE_ENV_VAR} must name a deployable, one of {sorted(SERVICES)}")
    if not argv:
        raise SystemExit(USAGE)
    command = command_line(SERVICES[name], argv[0], argv[1:])
    os.chdir(APP_DIR)
    os.execv(command[0], command)  # noqa: S606 - no shell: the process gets the signals


if __name__ == "__main__":
    main(sys.argv[1:])
