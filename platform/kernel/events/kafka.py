"""Kafka client settings, in one place so every producer, consumer and admin
client of every deployable is configured alike."""

import logging
from typing import Any

from django.conf import settings


def _common() -> dict[str, Any]:
    return {
        "bootstrap.servers": settings.KAFKA_BOOTSTRAP_SERVERS,
        "client.id": f"hearth-{settings.HEARTH_SERVICE}",
        "logger": logging.getLogger("kernel.kafka"),
    }


def producer_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        **_common(),
        # No loss and no duplicate from the producer's own retries: every in-sync
        # replica acknowledges, and the broker drops a retried batch it already has.
        "acks": "all",
        "enable.idempotence": True,
        # Long enough to ride out a broker restart or a leader election; a batch
        # not delivered by then is retried by the relay after it reconciles.
        "message.timeout.ms": 60_000,
        "linger.ms": 2,
        "compression.type": "lz4",
        **(overrides or {}),
    }


def consumer_config(group_id: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        **_common(),
        "group.id": group_id,
        # Offsets are committed by hand, after the handler's transaction commits.
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        # A new group starts from the first event ever published: that is how a
        # new service reads all prior state.
        "auto.offset.reset": "earliest",
        "partition.assignment.strategy": "cooperative-sticky",
        **(overrides or {}),
    }


def admin_config() -> dict[str, Any]:
    return _common()
