"""Probes against the real PostgreSQL, Redis and Kafka, and against dead ones."""

import socket

import pytest

from kernel.health import checks


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_liveness_touches_no_dependency(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
        }
    }
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "alive"


@pytest.mark.django_db
def test_ready_when_every_dependency_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "service": "kernel_tests",
        "checks": {"database": "ok", "redis": "ok", "kafka": "ok"},
    }


@pytest.mark.django_db
def test_not_ready_when_redis_is_down(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1},
        }
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["redis"].startswith("failed")
    assert body["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_not_ready_when_kafka_is_unreachable(client, settings):
    settings.KAFKA_BOOTSTRAP_SERVERS = f"127.0.0.1:{_closed_port()}"
    checks._kafka_admin.cache_clear()
    try:
        response = client.get("/readyz")
    finally:
        checks._kafka_admin.cache_clear()
    assert response.status_code == 503
    assert response.json()["checks"]["kafka"].startswith("failed")
