"""Helpers for the payments tests: users with tokens, listings and approvals fed
through the consumer exactly as their events would arrive, API calls, and the
provider's call counter."""

import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import stripe
from django.conf import settings
from django.test import Client

from apps.applications.contracts import APPLICATION_APPROVED
from apps.listings.contracts import LISTING_PUBLISHED
from apps.payments.consumers import MOVE_IN_PAYMENTS
from apps.payments.models import Payment
from apps.payments.provider import PROVIDER_CALLS
from kernel.events.types import EventType
from kernel.models import OutboxEvent
from kernel.testing.auth import TokenUser, make_user  # noqa: F401 (the tests import make_user here)
from kernel.testing.events import deliver, envelope_for

API = "/api/v1/payments"


def listing_snapshot(
    *, landlord: TokenUser, rent: str = "1450.00", deposit: str = "2900.00", currency: str = "EUR"
) -> dict[str, Any]:
    return {
        "listing_id": str(uuid.uuid4()),
        "landlord_id": landlord.id,
        "status": "published",
        "title": "Bright two-bedroom near the park",
        "description": "Quiet street.",
        "street_address": "12 Rose Lane",
        "city": "Lisbon",
        "postal_code": "1100-001",
        "country": "PT",
        "latitude": None,
        "longitude": None,
        "monthly_rent": {"amount": rent, "currency": currency},
        "deposit": {"amount": deposit, "currency": currency},
        "bedrooms": 2,
        "bathrooms": 1,
        "area_sqm": None,
        "amenities": [],
        "pets_allowed": False,
        "available_from": "2027-01-01",
        "photos": [],
        "published_at": "2026-01-01T09:00:00Z",
        "updated_at": datetime.now(UTC).isoformat(),
    }


def send(event_type: EventType, payload: dict[str, Any], aggregate_id: str) -> bool:
    return deliver(MOVE_IN_PAYMENTS, envelope_for(event_type, payload, aggregate_id=aggregate_id))


def publish_listing(landlord: TokenUser, **terms: str) -> dict[str, Any]:
    snapshot = listing_snapshot(landlord=landlord, **terms)
    send(LISTING_PUBLISHED, {"listing": snapshot}, snapshot["listing_id"])
    return snapshot


def approval(listing: dict[str, Any], renter: TokenUser) -> dict[str, Any]:
    return {
        "application": {
            "application_id": str(uuid.uuid4()),
            "listing_id": listing["listing_id"],
            "listing_title": listing["title"],
            "landlord_id": listing["landlord_id"],
            "renter_id": renter.id,
            "renter_name": renter.name,
            "status": "approved",
            "move_in_date": "2027-01-15",
            "occupants": 2,
            "monthly_income": {"amount": "5200.00", "currency": "EUR"},
            "message": "",
            "submitted_at": "2026-11-25T09:05:00Z",
            "decided_at": datetime.now(UTC).isoformat(),
        }
    }


def approve(listing: dict[str, Any], renter: TokenUser) -> dict[str, Any]:
    payload = approval(listing, renter)
    send(APPLICATION_APPROVED, payload, payload["application"]["application_id"])
    return payload


def open_payment(landlord: TokenUser, renter: TokenUser, **terms: str) -> Payment:
    """A payment as an approval opens it: listing terms first, then the approval."""
    listing = publish_listing(landlord, **terms)
    approve(listing, renter)
    return Payment.objects.get(listing_id=listing["listing_id"], renter_id=renter.id)


def pay(
    client: Client,
    payment_id: Any,
    user: TokenUser,
    *,
    key: str | None,
    method: str = "pm_card_visa",
):
    headers = {**user.header, **({"Idempotency-Key": key} if key is not None else {})}
    return client.post(
        f"{API}/{payment_id}/pay",
        {"payment_method": method},
        content_type="application/json",
        headers=headers,
    )


def provider_calls(operation: str = "charge") -> float:
    """The adapter's calls of `operation` so far, whatever their outcome."""
    return sum(
        sample.value
        for metric in PROVIDER_CALLS.collect()
        for sample in metric.samples
        if sample.name.endswith("_total") and sample.labels["operation"] == operation
    )


def events_of(payment_id: Any, event_type: str = "") -> list[dict[str, Any]]:
    rows = OutboxEvent.objects.filter(key=str(payment_id)).order_by("id")
    return [
        row.envelope for row in rows if not event_type or row.event_type == f"payments.{event_type}"
    ]


def signed_webhook(event: dict[str, Any]) -> tuple[bytes, str]:
    """A webhook body and its Stripe-Signature, signed as Stripe signs them."""
    body = json.dumps(event).encode()
    timestamp = int(time.time())
    signature = stripe.WebhookSignature._compute_signature(
        f"{timestamp}.{body.decode()}", settings.STRIPE_WEBHOOK_SECRET
    )
    return body, f"t={timestamp},v1={signature}"


def intent_event(event_type: str, *, intent_id: str, charge_id: Any) -> dict[str, Any]:
    return {
        "id": f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "type": event_type,
        "data": {
            "object": {
                "id": intent_id,
                "object": "payment_intent",
                "metadata": {"hearth_charge_id": str(charge_id)},
                "last_payment_error": None,
            }
        },
    }
