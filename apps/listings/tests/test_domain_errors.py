"""Listings' services refuse with the kernel's domain errors, never DRF's or Django's
Http404: they also run in the consumer, where an HTTP status means nothing."""

import uuid
from decimal import Decimal

import pytest
from django.http import Http404
from rest_framework.exceptions import APIException

from apps.listings import services
from apps.listings.tests.helpers import make_listing
from kernel import errors

pytestmark = pytest.mark.django_db
NOT_HTTP = (APIException, Http404)


def test_someone_elses_or_a_missing_listing_is_not_found():
    listing = make_listing(str(uuid.uuid4()))
    for listing_id in (listing.id, uuid.uuid4()):
        with pytest.raises(errors.NotFound, match="No such listing") as raised:
            services.listing_publish(listing_id=listing_id, actor_id=str(uuid.uuid4()))
        assert not isinstance(raised.value, NOT_HTTP)


def test_a_move_its_status_forbids_is_a_conflict():
    listing = make_listing(landlord := str(uuid.uuid4()), status="let")
    with pytest.raises(errors.Conflict, match="A let listing cannot be unpublished") as raised:
        services.listing_unpublish(listing_id=listing.id, actor_id=landlord)
    assert not isinstance(raised.value, NOT_HTTP)
    with pytest.raises(errors.Conflict, match="can no longer be edited"):
        services.listing_update(listing_id=listing.id, actor_id=landlord, changes={"title": "X"})


def test_a_listing_its_rules_refuse_is_invalid_with_the_fields_to_blame():
    listing = make_listing(landlord := str(uuid.uuid4()), status="draft")
    with pytest.raises(errors.Invalid) as raised:
        services.listing_update(
            listing_id=listing.id,
            actor_id=landlord,
            changes={"deposit_amount": Decimal("999999.00"), "bathrooms": Decimal("1.3")},
        )
    assert set(raised.value.fields) == {"deposit", "bathrooms"}
    assert raised.value.fields["bathrooms"] == ["Use steps of 0.5."]
