"""Helpers for the applications tests: users with tokens, listings fed through the
consumer exactly as listings' events would arrive, and API calls."""

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from apps.applications.consumers import LISTINGS_READ_MODEL
from apps.listings.contracts import LISTING_PUBLISHED
from kernel.events.types import EventType
from kernel.models import OutboxEvent
from kernel.testing.auth import TokenUser, make_user  # noqa: F401 (the tests import make_user here)
from kernel.testing.events import deliver, envelope_for

API = "/api/v1/applications"


def today() -> date:
    return timezone.localdate()


def listing_snapshot(
    *,
    landlord: TokenUser,
    listing_id: str | None = None,
    status: str = "published",
    available_from: date | None = None,
    updated_at: datetime | None = None,
    title: str = "Bright two-bedroom near the park",
) -> dict[str, Any]:
    """A full listing.json snapshot, as listings publishes it."""
    return {
        "listing_id": listing_id or str(uuid.uuid4()),
        "landlord_id": landlord.id,
        "status": status,
        "title": title,
        "description": "Quiet street, south-facing balcony.",
        "street_address": "12 Rose Lane",
        "city": "Lisbon",
        "postal_code": "1100-001",
        "country": "PT",
        "latitude": 38.7223,
        "longitude": -9.1393,
        "monthly_rent": {"amount": "1450.00", "currency": "EUR"},
        "deposit": {"amount": "2900.00", "currency": "EUR"},
        "bedrooms": 2,
        "bathrooms": 1,
        "area_sqm": 74.5,
        "amenities": ["balcony"],
        "pets_allowed": True,
        "available_from": (available_from or today()).isoformat(),
        "photos": [],
        "published_at": None if status == "draft" else "2026-01-01T09:00:00Z",
        "updated_at": (updated_at or datetime.now(UTC)).isoformat(),
    }


def send(
    event_type: EventType, payload: dict[str, Any], *, event_id: uuid.UUID | None = None
) -> bool:
    """Deliver a listings event to the consumer; False if it was a duplicate."""
    listing_id = payload["listing"]["listing_id"] if "listing" in payload else payload["listing_id"]
    envelope = envelope_for(event_type, payload, aggregate_id=listing_id, event_id=event_id)
    return deliver(LISTINGS_READ_MODEL, envelope)


def publish_listing(landlord: TokenUser, **overrides: Any) -> dict[str, Any]:
    snapshot = listing_snapshot(landlord=landlord, **overrides)
    send(LISTING_PUBLISHED, {"listing": snapshot})
    return snapshot


def later(snapshot: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The same listing, changed a second after `snapshot`."""
    updated_at = datetime.fromisoformat(snapshot["updated_at"]) + timedelta(seconds=1)
    return {**snapshot, **changes, "updated_at": updated_at.isoformat()}


def application_body(listing_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "listing_id": listing_id,
        "move_in_date": (today() + timedelta(days=30)).isoformat(),
        "occupants": 2,
        "monthly_income": {"amount": "5200.00", "currency": "EUR"},
        "message": "We are quiet and tidy.",
        **overrides,
    }


def post(client: Client, path: str, user: TokenUser | None = None, body: Any = None):
    headers = user.header if user else {}
    return client.post(f"{API}{path}", body, content_type="application/json", headers=headers)


def get(client: Client, path: str, user: TokenUser | None = None, **params: Any):
    return client.get(f"{API}{path}", params, headers=user.header if user else {})


def apply(client: Client, renter: TokenUser, listing_id: str, **overrides: Any) -> dict[str, Any]:
    response = post(client, "", renter, application_body(listing_id, **overrides))
    assert response.status_code == 201, response.json()
    return response.json()


def outbox(event_type: EventType | None = None) -> list[OutboxEvent]:
    rows = OutboxEvent.objects.order_by("id")
    return list(rows.filter(event_type=event_type.name) if event_type else rows)


def payloads(event_type: EventType) -> list[dict[str, Any]]:
    return [row.envelope["payload"] for row in outbox(event_type)]
