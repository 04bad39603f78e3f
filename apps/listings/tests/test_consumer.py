"""applications.application_approved lets the listing, once."""

import uuid

import pytest

from apps.applications.contracts import APPLICATION_APPROVED
from apps.listings.consumers import LISTINGS_CONSUMER
from apps.listings.contracts import LISTING_LET
from apps.listings.models import Listing
from apps.listings.tests.helpers import URL, events, make_listing
from kernel.testing.events import deliver, envelope_for

pytestmark = pytest.mark.django_db(transaction=True)


def approval(listing_id, landlord_id):
    application_id = uuid.uuid4()
    payload = {
        "application": {
            "application_id": str(application_id),
            "listing_id": str(listing_id),
            "listing_title": "Flat",
            "landlord_id": str(landlord_id),
            "renter_id": str(uuid.uuid4()),
            "renter_name": "Grace Hopper",
            "status": "approved",
            "move_in_date": "2027-01-15",
            "occupants": 2,
            "monthly_income": {"amount": "5200.00", "currency": "EUR"},
            "message": "",
            "submitted_at": "2026-11-25T09:05:00Z",
            "decided_at": "2026-11-25T10:00:00Z",
        }
    }
    return envelope_for(APPLICATION_APPROVED, payload, aggregate_id=application_id)


def test_the_consumer_is_the_deployables(settings):
    # Besides the kernel's consumer of ended sessions, which every deployable runs.
    assert settings.HEARTH_EVENT_CONSUMERS == [
        "apps.listings.consumers.LISTINGS_CONSUMER",
        "kernel.auth.revocation.REVOCATION_CONSUMER",
    ]
    assert LISTINGS_CONSUMER.group_id == "hearth.listings"
    assert LISTINGS_CONSUMER.topics == ("hearth.applications.v1",)


@pytest.mark.parametrize("status", ["published", "unpublished"])
def test_approval_lets_the_listing_and_publishes_listing_let(api, landlord, status):
    listing = make_listing(landlord.id, status=status)
    api.get(f"{URL}/{listing.id}")  # a cached detail, if public

    assert deliver(LISTINGS_CONSUMER, approval(listing.id, landlord.id)) is True

    listing.refresh_from_db()
    assert listing.status == "let"
    [envelope] = events(LISTING_LET.name)
    assert envelope["aggregate_id"] == str(listing.id)
    assert envelope["payload"]["listing"]["status"] == "let"
    assert envelope["payload"]["listing"]["listing_id"] == str(listing.id)
    # Caused by the approval: the event chain is traceable.
    assert envelope["causation_id"] is not None
    assert api.get(f"{URL}/{listing.id}").json()["status"] == "let"  # not the cached copy


def test_a_redelivered_approval_is_a_no_op(landlord):
    listing = make_listing(landlord.id)
    envelope = approval(listing.id, landlord.id)

    assert deliver(LISTINGS_CONSUMER, envelope) is True
    assert deliver(LISTINGS_CONSUMER, envelope) is False

    assert len(events(LISTING_LET.name)) == 1


def test_a_second_approval_for_a_let_listing_changes_nothing(landlord):
    listing = make_listing(landlord.id)
    deliver(LISTINGS_CONSUMER, approval(listing.id, landlord.id))
    let_at = Listing.objects.get(id=listing.id).updated_at

    assert deliver(LISTINGS_CONSUMER, approval(listing.id, landlord.id)) is True

    assert Listing.objects.get(id=listing.id).updated_at == let_at
    assert len(events(LISTING_LET.name)) == 1


def test_approval_of_a_draft_or_a_deleted_listing_changes_nothing(landlord):
    draft = make_listing(landlord.id, status="draft", published_at=None)

    assert deliver(LISTINGS_CONSUMER, approval(draft.id, landlord.id)) is True
    assert deliver(LISTINGS_CONSUMER, approval(uuid.uuid4(), landlord.id)) is True

    assert Listing.objects.get(id=draft.id).status == "draft"
    assert events() == []
