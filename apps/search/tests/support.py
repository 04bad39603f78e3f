"""Listings' events as listings publishes them, for search's tests."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from apps.listings.contracts import LISTING_DELETED, LISTING_PUBLISHED, PHOTO_ADDED, PHOTO_REMOVED
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


# The variants listings renders of an upload (apps/listings/photos.py), by name.
VARIANT_SIZES = {"thumbnail": (320, 240), "card": (640, 480), "full": (1600, 1200)}


def photo(
    *, photo_id: str | None = None, position: int = 0, caption: str = "Living room"
) -> dict[str, Any]:
    """A ListingPhoto payload: a processed upload, its variants' keys and URLs."""
    photo_id = photo_id or str(uuid.uuid4())
    return {
        "photo_id": photo_id,
        "position": position,
        "caption": caption,
        "width": 4032,
        "height": 3024,
        "variants": {
            name: {
                "key": f"media/{photo_id}-{name}.webp",
                "url": f"https://hearth.example.com/media/{photo_id}-{name}.webp",
                "width": width,
                "height": height,
            }
            for name, (width, height) in VARIANT_SIZES.items()
        },
    }


def photo_changed(listing_id: str, event_type: EventType = PHOTO_ADDED, **fields: Any):
    payload = {"listing_id": listing_id, "landlord_id": LANDLORD, "photo": photo(**fields)}
    return envelope_for(event_type, payload, aggregate_id=listing_id)


def photo_removed(listing_id: str, photo_id: str):
    payload = {"listing_id": listing_id, "landlord_id": LANDLORD, "photo_id": photo_id}
    return envelope_for(PHOTO_REMOVED, payload, aggregate_id=listing_id)
