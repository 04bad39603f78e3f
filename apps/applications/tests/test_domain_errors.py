"""Applications' services refuse with the kernel's domain errors, never DRF's: they
also run in the consumer, where an HTTP status means nothing."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from rest_framework.exceptions import APIException

from apps.applications import services
from apps.applications.state_machine import InvalidTransition
from apps.applications.tests.support import make_user, publish_listing, today
from kernel import errors

pytestmark = pytest.mark.django_db


def _submit(listing_id, renter, **overrides):
    fields = {
        "listing_id": listing_id,
        "renter_id": renter.id,
        "renter_name": renter.name,
        "move_in_date": today() + timedelta(days=30),
        "occupants": 2,
        "monthly_income_amount": Decimal("5200.00"),
        "monthly_income_currency": "EUR",
        **overrides,
    }
    return services.application_submit(**fields)


def test_an_unknown_listing_is_invalid_on_listing_id():
    with pytest.raises(errors.Invalid) as raised:
        _submit(uuid.uuid4(), make_user("renter"))
    assert not isinstance(raised.value, APIException)
    assert raised.value.fields == {"listing_id": [services.NOT_OPEN]}


def test_a_past_move_in_date_is_invalid_on_move_in_date():
    listing = publish_listing(make_user("landlord"))
    past = today() - timedelta(days=1)
    with pytest.raises(errors.Invalid) as raised:
        _submit(listing["listing_id"], make_user("renter"), move_in_date=past)
    assert raised.value.fields == {"move_in_date": ["The move-in date is in the past."]}


def test_a_second_active_application_is_a_conflict():
    listing = publish_listing(make_user("landlord"))
    renter = make_user("renter")
    _submit(listing["listing_id"], renter)
    with pytest.raises(errors.Conflict, match="already have an active application") as raised:
        _submit(listing["listing_id"], renter)
    assert not isinstance(raised.value, APIException)


def test_someone_elses_application_is_not_found_and_a_decided_one_cannot_move():
    landlord = make_user("landlord")
    listing = publish_listing(landlord)
    application = _submit(listing["listing_id"], make_user("renter"))
    with pytest.raises(errors.NotFound, match="No such application"):
        services.application_reject(application_id=application.id, landlord_id=str(uuid.uuid4()))

    services.application_reject(application_id=application.id, landlord_id=landlord.id)
    with pytest.raises(InvalidTransition) as raised:
        services.application_approve(application_id=application.id, landlord_id=landlord.id)
    assert isinstance(raised.value, errors.Conflict)
    assert not isinstance(raised.value, APIException)
