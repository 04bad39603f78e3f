"""A payment opens on approval, priced from the listing's terms, whichever of the two
events arrives first, once however often they are redelivered."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.applications.contracts import APPLICATION_APPROVED
from apps.applications.contracts import EVENTS as APPLICATIONS_EVENTS
from apps.listings.contracts import EVENTS as LISTINGS_EVENTS
from apps.listings.contracts import LISTING_UPDATED
from apps.payments.consumers import MOVE_IN_PAYMENTS
from apps.payments.contracts import PAYMENT_REQUESTED
from apps.payments.models import Payment, PendingApproval
from apps.payments.tests.support import (
    API,
    approval,
    approve,
    events_of,
    listing_snapshot,
    publish_listing,
    send,
)
from kernel.events.registry import consumer_spec
from kernel.testing.events import deliver, envelope_for

pytestmark = pytest.mark.django_db


def test_the_consumer_reads_approvals_and_listing_terms():
    assert consumer_spec("hearth.payments") is MOVE_IN_PAYMENTS
    assert set(MOVE_IN_PAYMENTS.topics) == {APPLICATIONS_EVENTS.topic, LISTINGS_EVENTS.topic}


def test_an_approval_opens_a_move_in_payment_and_publishes_payment_requested(
    client, settings, landlord, renter
):
    settings.PAYMENTS_DUE_DAYS = 5
    settings.PAYMENTS_FEE_RATE = Decimal("0.10")
    listing = publish_listing(landlord, rent="1333.33", deposit="2000.00", currency="CHF")
    payload = approval(listing, renter)
    envelope = envelope_for(
        APPLICATION_APPROVED, payload, aggregate_id=payload["application"]["application_id"]
    )
    assert deliver(MOVE_IN_PAYMENTS, envelope)
    assert not deliver(MOVE_IN_PAYMENTS, envelope)  # a redelivery: no second payment
    payment = Payment.objects.get(application_id=payload["application"]["application_id"])
    assert (payment.currency, payment.rent_amount, payment.deposit_amount) == (
        "CHF",
        Decimal("1333.33"),
        Decimal("2000.00"),
    )
    assert payment.fee_amount == Decimal("133.33")
    assert payment.due_date == timezone.localdate() + datetime.timedelta(days=5)
    (event,) = events_of(payment.id, "payment_requested")
    PAYMENT_REQUESTED.validate_payload(event["payload"])
    assert event["payload"]["payment"]["total"] == {"amount": "3333.33", "currency": "CHF"}
    answer = client.get(f"{API}/{payment.id}", headers=renter.header)
    assert answer.status_code == 200
    assert answer.json()["amount_due"] == {"amount": "3333.33", "currency": "CHF"}
    assert answer.json()["status"] == "due"
    # Nobody else's: another renter gets a 404, the landlord sees it.
    assert client.get(f"{API}/{payment.id}", headers=landlord.header).status_code == 200


def test_an_approval_before_its_listing_terms_waits_for_them(landlord, renter):
    listing = listing_snapshot(landlord=landlord)
    payload = approve(listing, renter)
    assert not Payment.objects.exists()
    assert PendingApproval.objects.filter(
        application_id=payload["application"]["application_id"]
    ).exists()
    send(LISTING_UPDATED, {"listing": listing}, listing["listing_id"])
    payment = Payment.objects.get(application_id=payload["application"]["application_id"])
    assert payment.total == Decimal("4350.00")
    assert not PendingApproval.objects.exists()
