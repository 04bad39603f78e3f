"""Listings' events as listings publishes them, for search's tests."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from apps.listings.contracts import LISTING_DELETED, LISTING_PUBLISHED
from kernel.events.types import EventType
from kernel.testing.events import envelope_for

LANDLORD = "00000000-0000-4000-8000-000000000001"
LISBON = (38.7223, -9.1393)
PORTO = (41.1579, -8.6291)


def snapshot(
    *,
    listing_id: str | None = None,
    status: str = "published",
    title: str = "Bright two-bedroom near the park",
    city: str = "Lisbon",
    rent: str = "1450.00",
    bedrooms: int = 2,
    pets: bool = True,
    point: tuple[float, float] | None = LISBON,
    updated_at: datetime | None = None,
) -> dict[str, Any]:
    """A full listing.json snapshot."""
    return {
        "listing_id": listing_id or str(uuid.uuid4()),
        "landlord_id": LANDLORD,
        "status": status,
        "title": title,
        "description": "Quiet street, south-facing balcony.",
        "street_address": "12 Rose Lane",
        "city": city,
        "postal_code": "1100-001",
        "country": "PT",
        "latitude": point[0] if point else None,
        "longitude": point[1] if point else None,
        "monthly_rent": {"amount": rent, "currency": "EUR"},
        "deposit": {"amount": rent, "currency": "EUR"},
        "bedrooms": bedrooms,
        "bathrooms": 1,
        "area_sqm": 74.5,
        "amenities": ["balcony"],
        "pets_allowed": pets,
        "available_from": "2027-01-01",
        "photos": [{"url": "https://img.hearth.example/l/1.jpg", "caption": "Hall"}],
        "published_at": None if status == "draft" else "2026-11-25T09:00:00Z",
        "updated_at": (updated_at or datetime.now(UTC)).isoformat(),
    }


def changed(event_type: EventType = LISTING_PUBLISHED, **fields: Any):
    listing = snapshot(**fields)
    return envelope_for(event_type, {"listing": listing}, aggregate_id=listing["listing_id"])


def deleted(listing_id: str):
    payload = {"listing_id": listing_id, "landlord_id": LANDLORD}
    return envelope_for(LISTING_DELETED, payload, aggregate_id=listing_id)


def later(seconds: int = 1) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)
