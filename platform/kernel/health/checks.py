"""Readiness checks: can this deployable do its work right now?

Each check is short and bounded by a timeout so a dead dependency makes the probe
fail fast instead of hanging the kubelet's request.
"""

import logging
import threading
from collections.abc import Callable
from functools import cache

from confluent_kafka.admin import AdminClient
from django.conf import settings
from django.db import connection
from django_redis import get_redis_connection

from kernel.events.kafka import admin_config

logger = logging.getLogger(__name__)

KAFKA_TIMEOUT_SECONDS = 1.5


def check_database() -> None:
    """The deployable's own schema is the one in use and has been migrated."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema(), to_regclass('django_migrations') IS NOT NULL")
        schema, migrated = cursor.fetchone()
    if schema in (None, "public"):
        raise RuntimeError(f"search_path resolves to {schema!r}, not the service's schema")
    if not migrated:
        raise RuntimeError(f"schema {schema!r} has not been migrated")


def check_redis() -> None:
    get_redis_connection("default").ping()


_kafka_lock = threading.Lock()


@cache
def _kafka_admin() -> AdminClient:
    # One client per process: creating one per probe would open new broker
    # connections every few seconds.
    return AdminClient(
        {
            **admin_config(),  # signed in as the deployable, like its other clients
            "socket.timeout.ms": int(KAFKA_TIMEOUT_SECONDS * 1000),
            "logger": logging.getLogger("kernel.kafka.admin"),
        }
    )


def check_kafka() -> None:
    with _kafka_lock:
        metadata = _kafka_admin().list_topics(timeout=KAFKA_TIMEOUT_SECONDS)
    if not metadata.brokers:
        raise RuntimeError("no Kafka broker answered")


def readiness_checks() -> dict[str, Callable[[], None]]:
    """What this deployable needs to serve: Kafka only if it publishes or consumes
    events (the web front end does neither)."""
    checks = {"database": check_database, "redis": check_redis}
    if settings.HEARTH_EVENT_CATALOGUES or settings.HEARTH_EVENT_CONSUMERS:
        checks["kafka"] = check_kafka
    return checks


def run_checks(checks: dict[str, Callable[[], None]]) -> dict[str, str]:
    results = {}
    for name, check in checks.items():
        try:
            check()
        except Exception as error:
            logger.warning("readiness check failed", extra={"check": name, "error": str(error)})
            results[name] = f"failed: {error}"
        else:
            results[name] = "ok"
    return results
