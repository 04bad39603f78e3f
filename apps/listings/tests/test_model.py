"""The snapshot every event carries, the database's own guard rails, the admin."""

import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import User as AdminUser
from django.db import IntegrityError, transaction

from apps.listings.contracts import LISTING_UPDATED, ListingStatus
from apps.listings.models import Listing
from apps.listings.services import listing_snapshot
from apps.listings.tests.helpers import make_listing

pytestmark = pytest.mark.django_db

SNAPSHOT_SCHEMA = json.loads(
    (Path(__file__).parent.parent / "schemas" / "listing.json").read_text()
)


@pytest.mark.parametrize("status", [status.value for status in ListingStatus])
def test_snapshot_has_exactly_the_contracts_fields_and_validates(landlord, status):
    listing = make_listing(
        landlord.id,
        status=status,
        latitude=Decimal("38.722300"),
        longitude=Decimal("-9.139300"),
        area_sqm=Decimal("74.50"),
        amenities=["balcony"],
        photos=[{"url": "https://x.example/1.jpg", "caption": ""}],
    )
    snapshot = listing_snapshot(listing)

    assert set(snapshot) == set(SNAPSHOT_SCHEMA["properties"]) == set(SNAPSHOT_SCHEMA["required"])
    LISTING_UPDATED.validate_payload({"listing": snapshot})
    assert snapshot["latitude"] == 38.7223
    assert snapshot["area_sqm"] == 74.5
    assert snapshot["bathrooms"] == 1.0
    assert snapshot["monthly_rent"] == {"amount": "1000.00", "currency": "EUR"}


def test_snapshot_of_a_listing_without_optional_values_validates(landlord):
    listing = make_listing(landlord.id, status="draft", published_at=None)
    snapshot = listing_snapshot(listing)
    assert snapshot["latitude"] is snapshot["area_sqm"] is snapshot["published_at"] is None
    LISTING_UPDATED.validate_payload({"listing": snapshot})


@pytest.mark.parametrize(
    "change",
    [
        {"status": "archived"},
        {"rent_amount": Decimal("0")},
        {"rent_amount": Decimal("1000000.01")},
        {"deposit_amount": Decimal("-1")},
        {"deposit_amount": Decimal("12000.01")},
        {"deposit_currency": "USD"},
        {"bedrooms": 21},
        {"bathrooms": Decimal("1.3")},
        {"bathrooms": Decimal("20.5")},
        {"area_sqm": Decimal("0.5")},
        {"latitude": Decimal("91"), "longitude": Decimal("0")},
    ],
    ids=str,
)
def test_the_database_refuses_what_validation_would(landlord, change):
    listing = make_listing(landlord.id)
    with pytest.raises(IntegrityError), transaction.atomic():
        Listing.objects.filter(id=listing.id).update(**change)


@pytest.fixture
def admin_client(client):
    client.force_login(AdminUser.objects.create_superuser("admin", "admin@hearth.example", "pw"))
    return client


def test_admin_lists_searches_and_filters_read_only(admin_client, landlord):
    listing = make_listing(landlord.id, title="Rooftop studio", city="Porto")
    make_listing(landlord.id, title="Basement flat", status="draft")
    base = "/admin/listings/listings/listing/"

    page = admin_client.get(base, {"q": "porto", "status__exact": "published"}).content.decode()
    assert "Rooftop studio" in page
    assert "Basement flat" not in page
    assert admin_client.get(f"{base}{listing.id}/change/").status_code == 200
    assert admin_client.get(f"{base}add/").status_code == 403
    assert admin_client.post(f"{base}{listing.id}/delete/", {"post": "yes"}).status_code == 403
    assert Listing.objects.filter(id=listing.id).exists()
