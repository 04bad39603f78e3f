"""The envelope every Hearth event travels in, on Kafka and in the outbox.

The envelope is versioned by the topic (hearth.<context>.v1); the payload by its
own schema_version. Readers ignore fields they do not know, so a producer may add
optional fields without breaking any consumer.
"""

import dataclasses
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kernel.events.types import EventType


@dataclass(frozen=True, kw_only=True)
class Envelope:
    event_id: uuid.UUID
    event_type: str  # "<context>.<aggregate>_<past-tense verb>", e.g. listings.listing_published
    schema_version: int
    source: str  # the bounded context that published it
    aggregate_type: str
    aggregate_id: str  # also the Kafka key: one aggregate's events stay in order on one partition
    occurred_at: datetime
    correlation_id: str  # the request or event chain that began it all
    causation_id: str | None  # the event that directly caused this one, if any
    trace_context: dict[str, str] = field(default_factory=dict)  # W3C traceparent/tracestate
    payload: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def new(
        cls,
        event_type: "EventType",
        *,
        aggregate_id: str | uuid.UUID | int,
        payload: dict[str, Any],
        correlation_id: str,
        causation_id: str | None = None,
    ) -> "Envelope":
        """A fresh event of `event_type`, happening now, with an id of its own."""
        return cls(
            event_id=uuid.uuid4(),
            event_type=event_type.name,
            schema_version=event_type.version,
            source=event_type.source,
            aggregate_type=event_type.aggregate_type,
            aggregate_id=str(aggregate_id),
            occurred_at=datetime.now(UTC),
            correlation_id=correlation_id,
            causation_id=causation_id,
            payload=payload,
        )

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["event_id"] = str(self.event_id)
        data["occurred_at"] = self.occurred_at.astimezone(UTC).isoformat()
        return data

    def to_json(self) -> bytes:
        return json.dumps(self.to_dict(), separators=(",", ":"), sort_keys=True).encode()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Envelope":
        known = {f.name for f in dataclasses.fields(cls)}
        values = {name: value for name, value in data.items() if name in known}
        values["event_id"] = uuid.UUID(values["event_id"])
        values["occurred_at"] = datetime.fromisoformat(values["occurred_at"])
        return cls(**values)

    @classmethod
    def from_json(cls, raw: bytes | str) -> "Envelope":
        return cls.from_dict(json.loads(raw))
