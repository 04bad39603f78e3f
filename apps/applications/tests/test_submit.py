"""POST applications: who may apply, for which listings, and with what."""

import uuid
from datetime import timedelta

import pytest

from apps.applications.contracts import APPLICATION_SUBMITTED
from apps.applications.models import ActiveApplicationClaim, Application
from apps.applications.tests.support import (
    API,
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
    LISTING_CREATED,
    LISTING_DELETED,
    LISTING_LET,
    LISTING_UNPUBLISHED,
)

pytestmark = pytest.mark.django_db


def test_a_renter_applies_for_a_published_listing(client, landlord, renter):
    snapshot = publish_listing(landlord, title="Sunny loft")
    body = application_body(snapshot["listing_id"], occupants=3)
    response = post(client, "", renter, body)

    assert response.status_code == 201, response.json()
    application = response.json()
    assert application == {
        "id": application["id"],
        "listing_id": snapshot["listing_id"],
        "listing_title": "Sunny loft",
        "landlord_id": landlord.id,
        "renter_id": renter.id,
        "renter_name": "Grace Hopper",
        "status": "submitted",
        "closed_reason": None,
        "move_in_date": body["move_in_date"],
        "occupants": 3,
        "monthly_income": {"amount": "5200.00", "currency": "EUR"},
        "message": "We are quiet and tidy.",
        "submitted_at": application["submitted_at"],
        "decided_at": None,
        "updated_at": application["updated_at"],
    }
    stored = Application.objects.get(pk=application["id"])
    [event] = outbox(APPLICATION_SUBMITTED)
    assert event.key == application["id"]
    assert event.topic == "hearth.applications.v1"
    assert event.envelope["aggregate_type"] == "application"
    assert event.envelope["payload"] == {
        "application": {
            "application_id": application["id"],
            "listing_id": snapshot["listing_id"],
            "listing_title": "Sunny loft",
            "landlord_id": landlord.id,
            "renter_id": renter.id,
            "renter_name": "Grace Hopper",
            "status": "submitted",
            "move_in_date": body["move_in_date"],
            "occupants": 3,
            "monthly_income": {"amount": "5200.00", "currency": "EUR"},
            "message": "We are quiet and tidy.",
            "submitted_at": stored.submitted_at.isoformat(),
            "decided_at": None,
        }
    }


def test_the_message_is_optional(client, landlord, renter):
    snapshot = publish_listing(landlord)
    body = application_body(snapshot["listing_id"])
    del body["message"]
    response = post(client, "", renter, body)
    assert response.status_code == 201
    assert response.json()["message"] == ""
    assert payloads(APPLICATION_SUBMITTED)[0]["application"]["message"] == ""


def test_anonymous_is_401_and_a_landlord_is_403(client, landlord):
    snapshot = publish_listing(landlord)
    body = application_body(snapshot["listing_id"])
    assert post(client, "", None, body).status_code == 401
    assert post(client, "", landlord, body).status_code == 403
    assert not Application.objects.exists()
    assert not outbox()


def test_a_bad_token_is_401(client, landlord):
    snapshot = publish_listing(landlord)
    response = client.post(
        API,
        application_body(snapshot["listing_id"]),
        content_type="application/json",
        headers={"Authorization": "Bearer not-a-token"},
    )
    assert response.status_code == 401


def _unpublished(landlord):
    snapshot = publish_listing(landlord)
    send(LISTING_UNPUBLISHED, {"listing": later(snapshot, status="unpublished")})
    return snapshot["listing_id"]


def _draft(landlord):
    snapshot = listing_snapshot(landlord=landlord, status="draft")
    send(LISTING_CREATED, {"listing": snapshot})
    return snapshot["listing_id"]


def _deleted(landlord):
    snapshot = publish_listing(landlord)
    send(LISTING_DELETED, {"listing_id": snapshot["listing_id"], "landlord_id": landlord.id})
    return snapshot["listing_id"]


@pytest.mark.parametrize(
    "listing",
    [
        pytest.param(lambda landlord: str(uuid.uuid4()), id="unknown"),
        pytest.param(_draft, id="draft"),
        pytest.param(_unpublished, id="unpublished"),
        pytest.param(_deleted, id="deleted"),
    ],
)
def test_only_a_published_listing_takes_applications(client, landlord, renter, listing):
    response = post(client, "", renter, application_body(listing(landlord)))
    assert response.status_code == 400
    assert response.json()["listing_id"] == ["There is no published listing with this id."]
    assert not Application.objects.exists()
    assert not outbox(APPLICATION_SUBMITTED)


def test_a_let_listing_is_409(client, landlord, renter):
    snapshot = publish_listing(landlord)
    send(LISTING_LET, {"listing": later(snapshot, status="let")})
    response = post(client, "", renter, application_body(snapshot["listing_id"]))
    assert response.status_code == 409
    assert not Application.objects.exists()


def test_the_move_in_date_may_be_today_but_not_in_the_past(client, landlord, renter):
    listing_id = publish_listing(landlord, available_from=today() - timedelta(days=30))[
        "listing_id"
    ]
    past = application_body(listing_id, move_in_date=(today() - timedelta(days=1)).isoformat())
    response = post(client, "", renter, past)
    assert response.status_code == 400
    assert response.json() == {"move_in_date": ["The move-in date is in the past."]}
    assert post(client, "", renter, {**past, "move_in_date": today().isoformat()}).status_code == (
        201
    )


def test_the_move_in_date_may_not_precede_the_listings_availability(client, landlord, renter):
    available = today() + timedelta(days=60)
    listing_id = publish_listing(landlord, available_from=available)["listing_id"]
    early = application_body(listing_id, move_in_date=(available - timedelta(days=1)).isoformat())
    response = post(client, "", renter, early)
    assert response.status_code == 400
    assert response.json() == {
        "move_in_date": [f"The listing is available from {available.isoformat()}."]
    }
    on_time = {**early, "move_in_date": available.isoformat()}
    assert post(client, "", renter, on_time).status_code == 201


def test_a_second_active_application_for_the_same_listing_is_409(
    client, landlord, renter, other_renter
):
    listing_id = publish_listing(landlord)["listing_id"]
    apply(client, renter, listing_id)
    response = post(client, "", renter, application_body(listing_id, occupants=1))
    assert response.status_code == 409
    assert Application.objects.filter(renter_id=renter.id).count() == 1
    assert len(outbox(APPLICATION_SUBMITTED)) == 1
    # Others, and other listings, are not affected.
    apply(client, other_renter, listing_id)
    apply(client, renter, publish_listing(landlord)["listing_id"])


@pytest.mark.parametrize("decision", ["withdraw", "reject"])
def test_a_renter_may_apply_again_once_the_application_is_no_longer_active(
    client, landlord, renter, decision
):
    listing_id = publish_listing(landlord)["listing_id"]
    first = apply(client, renter, listing_id)
    actor = renter if decision == "withdraw" else landlord
    assert post(client, f"/{first['id']}/{decision}", actor).status_code == 200
    assert not ActiveApplicationClaim.objects.exists()
    second = apply(client, renter, listing_id)
    assert second["id"] != first["id"]
    assert ActiveApplicationClaim.objects.get().application_id == uuid.UUID(second["id"])
    assert len(outbox(APPLICATION_SUBMITTED)) == 2


def _valid(listing_id):
    return application_body(listing_id)


def _without(field):
    def body(listing_id):
        data = _valid(listing_id)
        del data[field]
        return data

    return body


def _with(**changes):
    return lambda listing_id: {**_valid(listing_id), **changes}


def _income(amount, currency="EUR"):
    return _with(monthly_income={"amount": amount, "currency": currency})


BAD_BODIES = {
    "missing listing_id": _without("listing_id"),
    "missing move_in_date": _without("move_in_date"),
    "missing occupants": _without("occupants"),
    "missing monthly_income": _without("monthly_income"),
    "empty object": lambda listing_id: {},
    "a list": lambda listing_id: [_valid(listing_id)],
    "a string": lambda listing_id: "apply please",
    "null listing_id": _with(listing_id=None),
    "numeric listing_id": _with(listing_id=12345),
    "malformed listing_id": _with(listing_id="not-a-uuid"),
    "unknown listing_id": _with(listing_id=str(uuid.uuid4())),
    "word for a date": _with(move_in_date="next month"),
    "impossible date": _with(move_in_date="2027-02-30"),
    "five-digit year": _with(move_in_date="99999-01-01"),
    "past date": _with(move_in_date="2000-01-01"),
    "date as a number": _with(move_in_date=20270101),
    "occupants as words": _with(occupants="two"),
    "fractional occupants": _with(occupants=2.5),
    "boolean occupants": _with(occupants=True),
    "zero occupants": _with(occupants=0),
    "negative occupants": _with(occupants=-3),
    "21 occupants": _with(occupants=21),
    "huge occupants": _with(occupants=10**30),
    "income as a string": _with(monthly_income="5200 EUR"),
    "income as a number": _with(monthly_income=5200),
    "income without currency": _with(monthly_income={"amount": "5200.00"}),
    "income without amount": _with(monthly_income={"currency": "EUR"}),
    "negative income": _income("-1.00"),
    "absurd income": _income("99999999999999.00"),
    "income in scientific notation": _income("1e400"),
    "income with three decimals": _income("5200.001"),
    "income not a number": _income("lots"),
    "income NaN": _income("NaN"),
    "unknown currency": _income("5200.00", "XYZ"),
    "lowercase currency": _income("5200.00", "eur"),
    "oversized message": _with(message="x" * 2001),
    "message as an object": _with(message={"text": "hi"}),
    "null message": _with(message=None),
}


@pytest.mark.parametrize("make_body", list(BAD_BODIES.values()), ids=list(BAD_BODIES))
def test_bad_input_is_400(client, landlord, renter, make_body):
    listing_id = publish_listing(landlord)["listing_id"]
    response = post(client, "", renter, make_body(listing_id))
    assert response.status_code == 400, response.content
    assert response.json()  # says what is wrong
    assert not Application.objects.exists()
    assert not outbox()


@pytest.mark.parametrize(
    ("raw", "content_type", "status"),
    [
        ('{"listing_id": ', "application/json", 400),
        ("", "application/json", 400),
        ("\xff\xfe", "application/json", 400),
        ("listing_id=x", "text/plain", 415),
    ],
    ids=["truncated JSON", "empty body", "not UTF-8", "unsupported media type"],
)
def test_malformed_bodies_are_4xx(client, renter, raw, *, content_type, status):
    response = client.post(API, raw, content_type=content_type, headers=renter.header)
    assert response.status_code == status
    assert not Application.objects.exists()


def test_the_largest_valid_values_are_accepted(client, landlord, renter):
    listing_id = publish_listing(landlord)["listing_id"]
    body = application_body(
        listing_id,
        occupants=20,
        message="x" * 2000,
        monthly_income={"amount": "10000000.00", "currency": "CHF"},
    )
    response = post(client, "", renter, body)
    assert response.status_code == 201, response.json()
    event = payloads(APPLICATION_SUBMITTED)[0]["application"]
    assert event["monthly_income"] == {"amount": "10000000.00", "currency": "CHF"}
    assert len(event["message"]) == 2000
