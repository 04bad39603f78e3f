"""Gunicorn settings of every deployable; --bind is given per service on the command line."""

import json
import os

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
