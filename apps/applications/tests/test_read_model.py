"""The ListingView read model, fed by listings' events through the consumer:
snapshots applied in order, stale and redelivered events without effect, and the
applications a let or deleted listing closes."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest

from apps.applications.consumers import LISTINGS_READ_MODEL
from apps.applications.contracts import APPLICATION_CLOSED
from apps.applications.models import ListingView
from apps.applications.tests.support import (
    application_body,
    apply,
    later,
    listing_snapshot,
    outbox,
    payloads,
    post,
    publish_listing,
    send,
    today,
)
from apps.listings.contracts import (
    EVENTS as LISTINGS_EVENTS,
)
from apps.listings.contracts import (
    LISTING_CREATED,
    LISTING_DELETED,
    LISTING_LET,
    LISTING_PUBLISHED,
    LISTING_UNPUBLISHED,
    LISTING_UPDATED,
)
from kernel.events.registry import consumer_spec

pytestmark = pytest.mark.django_db


def test_the_consumer_is_registered_for_every_listings_event():
    assert consumer_spec("hearth.applications") is LISTINGS_READ_MODEL
    assert LISTINGS_READ_MODEL.topics == (LISTINGS_EVENTS.topic,)
    # Every lifecycle event; photos (listings.photo_*) change nothing an application needs.
    lifecycle = {name for name in LISTINGS_EVENTS.events if ".photo_" not in name}
    assert set(LISTINGS_READ_MODEL.handlers) == lifecycle


def test_a_published_listing_is_stored_from_its_snapshot(landlord):
    snapshot = publish_listing(landlord, available_from=today() + timedelta(days=10))
    view = ListingView.objects.get(pk=snapshot["listing_id"])
    assert str(view.landlord_id) == landlord.id
    assert view.title == snapshot["title"]
    assert view.status == "published"
    assert view.available_from == today() + timedelta(days=10)
    assert (view.monthly_rent_amount, view.monthly_rent_currency) == (Decimal("1450.00"), "EUR")
    assert view.updated_at.isoformat() == snapshot["updated_at"]
    assert view.deleted is False


def test_each_snapshot_event_moves_the_view_forward(landlord):
    draft = listing_snapshot(landlord=landlord, status="draft")
    send(LISTING_CREATED, {"listing": draft})
    assert ListingView.objects.get(pk=draft["listing_id"]).status == "draft"
    published = later(draft, status="published")
    send(LISTING_PUBLISHED, {"listing": published})
    edited = later(published, title="Now with a new kitchen")
    send(LISTING_UPDATED, {"listing": edited})
    unpublished = later(edited, status="unpublished")
    send(LISTING_UNPUBLISHED, {"listing": unpublished})
    view = ListingView.objects.get(pk=draft["listing_id"])
    assert (view.status, view.title) == ("unpublished", "Now with a new kitchen")


def test_an_event_older_than_the_view_is_ignored(landlord):
    first = publish_listing(landlord)
    newer = later(first, status="unpublished", title="Newer")
    send(LISTING_UNPUBLISHED, {"listing": newer})
    send(LISTING_UPDATED, {"listing": {**first, "title": "Stale"}})
    view = ListingView.objects.get(pk=first["listing_id"])
    assert (view.status, view.title) == ("unpublished", "Newer")


def test_a_redelivered_event_is_applied_once(landlord):
    snapshot = listing_snapshot(landlord=landlord)
    event_id = uuid.uuid4()
    assert send(LISTING_PUBLISHED, {"listing": snapshot}, event_id=event_id) is True
    send(LISTING_UNPUBLISHED, {"listing": later(snapshot, status="unpublished")})
    assert send(LISTING_PUBLISHED, {"listing": snapshot}, event_id=event_id) is False
    assert ListingView.objects.get(pk=snapshot["listing_id"]).status == "unpublished"


def test_deleting_a_listing_closes_its_submitted_applications(
    client, landlord, renter, other_renter
):
    snapshot = publish_listing(landlord)
    withdrawn = apply(client, renter, snapshot["listing_id"])
    post(client, f"/{withdrawn['id']}/withdraw", renter)
    open_one = apply(client, other_renter, snapshot["listing_id"])
    deleted = {"listing_id": snapshot["listing_id"], "landlord_id": landlord.id}
    send(LISTING_DELETED, deleted)

    assert ListingView.objects.get(pk=snapshot["listing_id"]).deleted is True
    [closed] = payloads(APPLICATION_CLOSED)
    assert closed["reason"] == "listing_withdrawn"
    assert closed["application"]["application_id"] == open_one["id"]
    assert closed["application"]["status"] == "closed"
    assert closed["application"]["decided_at"] is not None
    shown = client.get(f"/api/v1/applications/{open_one['id']}", headers=other_renter.header)
    assert (shown.json()["status"], shown.json()["closed_reason"]) == (
        "closed",
        "listing_withdrawn",
    )
    # Idempotent: a second deletion (another event id) closes nothing more.
    send(LISTING_DELETED, deleted)
    assert len(payloads(APPLICATION_CLOSED)) == 1


def test_a_deleted_listing_stays_deleted_and_closed_to_applications(client, landlord, renter):
    snapshot = publish_listing(landlord)
    send(LISTING_DELETED, {"listing_id": snapshot["listing_id"], "landlord_id": landlord.id})
    send(LISTING_UPDATED, {"listing": later(snapshot, title="Back again?")})
    view = ListingView.objects.get(pk=snapshot["listing_id"])
    assert (view.deleted, view.title) == (True, snapshot["title"])
    response = post(client, "", renter, application_body(snapshot["listing_id"]))
    assert response.status_code == 400
    assert "listing_id" in response.json()


def test_deleting_a_listing_never_seen_is_harmless(landlord):
    assert send(LISTING_DELETED, {"listing_id": str(uuid.uuid4()), "landlord_id": landlord.id})
    assert not ListingView.objects.exists()


def test_a_let_listing_closes_what_is_still_submitted_once(client, landlord, renter, other_renter):
    snapshot = publish_listing(landlord)
    first = apply(client, renter, snapshot["listing_id"])
    second = apply(client, other_renter, snapshot["listing_id"])
    let = later(snapshot, status="let")
    send(LISTING_LET, {"listing": let})

    assert ListingView.objects.get(pk=snapshot["listing_id"]).status == "let"
    closed = payloads(APPLICATION_CLOSED)
    assert {p["application"]["application_id"] for p in closed} == {first["id"], second["id"]}
    assert {p["reason"] for p in closed} == {"listing_let"}
    send(LISTING_LET, {"listing": let})  # a second copy, as after a replay
    assert len(payloads(APPLICATION_CLOSED)) == 2


def test_events_published_by_a_handler_name_the_listing_event_as_their_cause(
    client, landlord, renter
):
    snapshot = publish_listing(landlord)
    apply(client, renter, snapshot["listing_id"])
    event_id = uuid.uuid4()
    send(LISTING_LET, {"listing": later(snapshot, status="let")}, event_id=event_id)
    [closed] = outbox(APPLICATION_CLOSED)
    assert closed.envelope["causation_id"] == str(event_id)


def test_reset_empties_the_read_model_for_a_replay(landlord):
    publish_listing(landlord)
    publish_listing(landlord)
    LISTINGS_READ_MODEL.reset_read_model()
    assert not ListingView.objects.exists()
