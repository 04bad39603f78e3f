"""publish_event: the one way a context publishes an event.

It writes an outbox row in the caller's open transaction and notifies the relay
on commit. The row's envelope carries the current trace context, so the relay's
publish and every consumer's handling join the trace of the request that wrote it.
There is no Kafka call here: if the transaction rolls back, the event
never existed; if it commits, the relay will publish it, even if Kafka is down
right now.
"""

import dataclasses
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection

from kernel.events.context import current_causation
from kernel.events.envelope import Envelope
from kernel.events.types import ENVELOPE_VALIDATOR, EventType, validate
from kernel.models import OutboxEvent
from kernel.observability.context import request_id_var
from kernel.observability.tracing import current_trace_context


class NotInTransaction(RuntimeError):
    """publish_event was called outside transaction.atomic()."""


# NOTIFY channels are per database and every context shares one database, so
# each schema's relay listens on a channel of its own: this prefix + the schema.
NOTIFY_CHANNEL_PREFIX = "hearth_outbox_"


def publish_event(
    event_type: EventType,
    *,
    aggregate_id: str | int | uuid.UUID,
    payload: dict[str, Any],
) -> Envelope:
    """Record `event_type` for `aggregate_id` in the current transaction.

    Call inside `transaction.atomic()`, after the change the event describes, and
    while holding the aggregate's row lock when concurrent writers may change the
    same aggregate (see OutboxEvent for why). Raises EventSchemaError if the
    payload does not match the event's schema, NotInTransaction outside a
    transaction.
    """
    if not connection.in_atomic_block:
        raise NotInTransaction("publish_event must run inside transaction.atomic()")
    event_type.validate_payload(payload)
    causation = current_causation()
    new = Envelope.new(
        event_type,
        aggregate_id=aggregate_id,
        payload=payload,
        correlation_id=(
            causation.correlation_id if causation else request_id_var.get() or uuid.uuid4().hex
        ),
        causation_id=str(causation.event_id) if causation else None,
    )
    envelope = dataclasses.replace(new, trace_context=current_trace_context())
    data = envelope.to_dict()
    validate(ENVELOPE_VALIDATOR, data, what=f"envelope of {event_type.name}")
    OutboxEvent.objects.create(
        event_id=envelope.event_id,
        event_type=envelope.event_type,
        topic=event_type.topic,
        key=envelope.aggregate_id,
        envelope=data,
    )
    with connection.cursor() as cursor:
        # Delivered by PostgreSQL only when the transaction commits.
        cursor.execute("SELECT pg_notify(%s || current_schema(), '')", [NOTIFY_CHANNEL_PREFIX])
    return envelope


def outbox_backlog() -> int:
    """Committed events not yet in Kafka: near zero while the relay keeps up."""
    return OutboxEvent.objects.filter(published_at__isnull=True).count()


def wait_until_published(*, timeout: float, poll_seconds: float = 0.02) -> None:
    """Block until the relay has published every committed event (tests, benchmarks,
    and deploy steps that must not start before the backlog is out)."""
    deadline = time.monotonic() + timeout
    while backlog := outbox_backlog():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{backlog} events still unpublished after {timeout} s")
        time.sleep(poll_seconds)


def prune_published(*, older_than: timedelta, batch_size: int = 5000) -> int:
    """Delete rows published more than `older_than` ago; returns how many.

    Kafka keeps every event forever, so a published row is only bookkeeping;
    pruning keeps the outbox as small as its recent past. Deletes in batches so
    no single statement holds locks on a large part of the table.
    """
    cutoff = datetime.now(UTC) - older_than
    deleted = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox "
                "WHERE published_at < %s ORDER BY id LIMIT %s)",
                [cutoff, batch_size],
            )
            deleted += cursor.rowcount
            if cursor.rowcount < batch_size:
                return deleted
