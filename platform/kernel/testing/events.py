"""Feed a consumer's handlers an event as the consumer would: through the inbox,
in one transaction, so duplicates are no-ops exactly as in production. Kafka
delivery itself is proven by the kernel's pipeline tests and the journey test."""

import uuid
from dataclasses import replace
from typing import Any

from kernel.events.consumer import ConsumerSpec, apply_once
from kernel.events.envelope import Envelope
from kernel.events.types import EventType


def envelope_for(
    event_type: EventType,
    payload: dict[str, Any],
    *,
    aggregate_id: str | uuid.UUID,
    event_id: uuid.UUID | None = None,
) -> Envelope:
    """A valid envelope, its payload checked against the event's schema."""
    event_type.validate_payload(payload)
    envelope = Envelope.new(
        event_type, aggregate_id=aggregate_id, payload=payload, correlation_id=uuid.uuid4().hex
    )
    return replace(envelope, event_id=event_id) if event_id else envelope


def deliver(spec: ConsumerSpec, envelope: Envelope) -> bool:
    """Apply `envelope` with `spec`'s handler; False if the group had applied it."""
    handler = spec.handlers[envelope.event_type]
    return apply_once(spec.group_id, envelope, handler)
