"""Gunicorn settings of every deployable; --bind is given per service on the command line."""

import json
import os
import shutil
import tempfile

from gunicorn import util

from kernel.observability.logging import logging_config

workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
# A request stuck longer than this is a bug or a dead dependency; the worker is
# recycled rather than left holding a thread.
timeout = 30
graceful_timeout = 20
keepalive = 5
# Access lines come from the request-id middleware as JSON; gunicorn's own would
# duplicate them in another format.
accesslog = None
errorlog = "-"
# gunicorn's own lines (boot, worker restarts, timeouts) in the same JSON shape.
logconfig_dict = logging_config(service=os.environ.get("HEARTH_SERVICE", "unknown"))
# Bound memory growth and spread restarts so workers never all recycle at once.
max_requests = 5000
max_requests_jitter = 500
# No control socket (gunicornc): nothing uses it, and it would be written to $HOME,
# which is read-only in the image (only /tmp is writable).
control_socket_disable = True


def write_json_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's own answer to a request it cannot parse (a raw byte in the request
    line, a NUL in a header), which never reaches Django: JSON like every other
    error, instead of gunicorn's HTML page. The detail never repeats the request;
    gunicorn logs what was wrong with it."""
    body = json.dumps({"detail": f"{reason}."}).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        "Content-Type: application/json\r\nX-Content-Type-Options: nosniff\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


# Set in the master, before it forks the workers, which call util.write_error.
util.write_error = write_json_error


# Metrics: each worker counts into files of this directory, and the worker that
# answers /metrics adds them all up (prometheus-client's multiprocess mode). Set
# here, in the master, so the workers inherit it before they import the client;
# one directory per master, emptied when it starts, removed when it stops.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="hearth-metrics-")
METRICS_DIR = os.environ["PROMETHEUS_MULTIPROC_DIR"]


def on_starting(server) -> None:
    shutil.rmtree(METRICS_DIR, ignore_errors=True)
    os.makedirs(METRICS_DIR, exist_ok=True)


def post_fork(server, worker) -> None:
    """Tracing starts in each worker, after the fork: the span exporter's thread
    would not survive a fork, and Django's instrumentation must be in place before
    the worker loads the application and its middleware."""
    from config.services import select_settings_module
    from kernel.observability.tracing import init_tracing

    select_settings_module()
    init_tracing(os.environ.get("HEARTH_SERVICE", "unknown"), process="web", django=True)


def child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:
    shutil.rmtree(METRICS_DIR, ignore_errors=True)
