"""Prometheus metrics of a deployable: counted where things happen, or read live
when scraped.

- Web processes serve `/metrics` (an internal path: the gateway and the Ingress
  refuse it). Under gunicorn the workers count into PROMETHEUS_MULTIPROC_DIR and
  whichever worker is scraped adds them up (prometheus-client's multiprocess mode).
  Requests per route come from django-prometheus's middlewares.
- The relay, the consumers and the Celery worker each serve their own counters on
  HEARTH_METRICS_PORT (a small HTTP server thread), since they are separate pods
  in Kubernetes; unset, they serve none. The same server answers the relay's and
  the consumers' liveness probe at /healthz (kernel.health.heartbeat).
- What a scrape reads live from the stores: kernel.observability.live.
"""

import logging
import os
import threading
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import Counter, Gauge, Histogram, make_wsgi_app

from kernel.health.heartbeat import health

logger = logging.getLogger(__name__)

EVENTS_CONSUMED = Counter(
    "hearth_events_consumed_total",
    "Events a consumer group settled, by outcome: applied, duplicate (already in "
    "its inbox), skipped (no handler) or dead_lettered.",
    ["group", "event_type", "outcome"],
)
EVENT_HANDLING_SECONDS = Histogram(
    "hearth_event_handling_seconds",
    "From a consumer reading an event to settling it (retries included).",
    ["group"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
EVENTS_PUBLISHED = Counter(
    "hearth_outbox_published_total", "Outbox events the relay put on Kafka.", ["topic"]
)
EVENT_TO_SMTP_SECONDS = Histogram(
    "hearth_email_event_to_smtp_seconds",
    "From the event that caused an email to the SMTP server accepting it.",
    buckets=(0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30, 60),
)
EMAILS_SENT = Counter("hearth_emails_sent_total", "Emails the SMTP server accepted.")
# Gauges of a web process (per worker under gunicorn): the worst worker's view counts.
BREAKER_STATE = Gauge(
    "hearth_breaker_state",
    "Circuit breaker per callee: 0 closed, 1 half-open, 2 open.",
    ["callee"],
    multiprocess_mode="max",
)
BREAKER_STATES = {"closed": 0, "half-open": 1, "open": 2}


def serve_process_metrics(process: str) -> int | None:
    """Serve this process's metrics and /healthz on HEARTH_METRICS_PORT, in a daemon
    thread."""
    port = os.environ.get("HEARTH_METRICS_PORT")
    if not port:
        return None
    host = os.environ.get("HEARTH_METRICS_HOST", "0.0.0.0")  # noqa: S104 - a pod's own port
    server = make_server(
        host, int(port), _with_health(make_wsgi_app()), _Server, handler_class=_QuietHandler
    )
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    logger.info("serving metrics", extra={"port": int(port), "hearth_process": process})
    return int(port)


def _with_health(metrics_app):
    def app(environ, start_response):
        if environ.get("PATH_INFO") != "/healthz":
            return metrics_app(environ, start_response)
        query = parse_qs(environ.get("QUERY_STRING", ""))
        try:
            max_age = float(query.get("max_age", ["60"])[0])
        except ValueError:
            start_response("400 Bad Request", [("Content-Type", "text/plain")])
            return [b"max_age: a number of seconds\n"]
        alive, reason = health(max_age)
        status = "200 OK" if alive else "503 Service Unavailable"
        start_response(status, [("Content-Type", "text/plain")])
        return [reason.encode() + b"\n"]

    return app


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        """Probes and scrapes every few seconds: not worth a log line each."""


def observe_breaker(name: str, state: str) -> None:
    BREAKER_STATE.labels(callee=name).set(BREAKER_STATES.get(state, 2))
