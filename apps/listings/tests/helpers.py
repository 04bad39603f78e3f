"""Helpers of the listings tests."""

import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from apps.listings.contracts import ListingStatus
from apps.listings.models import Listing
from kernel.models import OutboxEvent
from kernel.testing.auth import user_tokens

URL = "/api/v1/listings"


@dataclass(frozen=True)
class User:
    id: str
    header: dict[str, str]


def make_user(role: str) -> User:
    user_id = str(uuid.uuid4())
    return User(user_id, user_tokens(user_id=user_id, role=role).header)


def payload(**overrides: Any) -> dict[str, Any]:
    """A valid create request."""
    data = {
        "title": "Bright two-bedroom near the park",
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
        "bathrooms": 1.5,
        "area_sqm": 74.5,
        "amenities": ["balcony", "dishwasher"],
        "pets_allowed": True,
        "available_from": (timezone.localdate() + timedelta(days=30)).isoformat(),
        "photos": [{"url": "https://img.hearth.example/l/1.jpg", "caption": "Living room"}],
    }
    data.update(overrides)
    return data


def make_listing(landlord_id: str, **overrides: Any) -> Listing:
    """A listing stored directly, for reads; writes under test go through the API."""
    fields = {
        "landlord_id": landlord_id,
        "status": ListingStatus.PUBLISHED,
        "title": "Flat",
        "description": "A flat.",
        "street_address": "1 Main Street",
        "city": "Lisbon",
        "postal_code": "1000-001",
        "rent_amount": Decimal("1000.00"),
        "deposit_amount": Decimal("2000.00"),
        "bedrooms": 1,
        "bathrooms": Decimal("1.0"),
        "available_from": timezone.localdate(),
        "published_at": timezone.now(),
    }
    fields.update(overrides)
    return Listing.objects.create(**fields)


def events(event_type: str | None = None) -> list[dict[str, Any]]:
    """Envelopes written to the outbox, oldest first."""
    rows = OutboxEvent.objects.order_by("id")
    if event_type:
        rows = rows.filter(event_type=event_type)
    return [row.envelope for row in rows]
