"""POST /api/v1/listings: who may create, what is stored, what is refused."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.listings.contracts import LISTING_CREATED
from apps.listings.models import Listing
from apps.listings.tests.helpers import URL, events, payload

pytestmark = pytest.mark.django_db


def test_landlord_creates_a_draft_and_its_event(api, landlord):
    response = api.post(URL, payload(), format="json", headers=landlord.header)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft"
    assert body["landlord_id"] == landlord.id
    assert body["monthly_rent"] == {"amount": "1450.00", "currency": "EUR"}
    assert body["deposit"] == {"amount": "2900.00", "currency": "EUR"}
    assert body["bathrooms"] == 1.5
    assert body["latitude"] == 38.7223
    assert body["published_at"] is None
    listing = Listing.objects.get(id=body["id"])
    assert listing.rent_amount == Decimal("1450.00")
    assert listing.landlord_id.hex == landlord.id.replace("-", "")

    [envelope] = events()
    assert envelope["event_type"] == LISTING_CREATED.name
    assert envelope["aggregate_id"] == body["id"]
    snapshot = envelope["payload"]["listing"]
    assert snapshot["listing_id"] == body["id"]
    assert snapshot["status"] == "draft"
    assert snapshot["monthly_rent"] == {"amount": "1450.00", "currency": "EUR"}
    assert snapshot["photos"] == [
        {"url": "https://img.hearth.example/l/1.jpg", "caption": "Living room"}
    ]
    assert snapshot["published_at"] is None


def test_optional_fields_take_their_defaults(api, landlord):
    data = payload()
    for optional in (
        "description",
        "country",
        "latitude",
        "longitude",
        "area_sqm",
        "amenities",
        "pets_allowed",
        "photos",
    ):
        del data[optional]
    response = api.post(URL, data, format="json", headers=landlord.header)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["country"] == "PT"
    assert body["description"] == ""
    assert body["latitude"] is None
    assert body["area_sqm"] is None
    assert body["amenities"] == []
    assert body["photos"] == []
    assert body["pets_allowed"] is False
    assert events()[0]["payload"]["listing"]["latitude"] is None


def test_input_is_normalised(api, landlord):
    response = api.post(
        URL,
        payload(
            country="es",
            amenities=["lift", "balcony", "lift"],
            latitude="38.722345678",
            photos=[{"url": "http://img.example/1.jpg"}],
            available_from=timezone.localdate().isoformat(),  # today is fine
        ),
        format="json",
        headers=landlord.header,
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["country"] == "ES"
    assert body["amenities"] == ["lift", "balcony"]
    assert body["latitude"] == 38.722346
    assert body["photos"] == [{"url": "http://img.example/1.jpg", "caption": ""}]


def test_anonymous_gets_401_and_renter_403(api, renter):
    assert api.post(URL, payload(), format="json").status_code == 401
    assert api.post(URL, payload(), format="json", headers=renter.header).status_code == 403
    assert not Listing.objects.exists()
    assert events() == []


def test_a_forged_token_is_401(api, landlord):
    forged = {"Authorization": landlord.header["Authorization"][:-4] + "AAAA"}
    assert api.post(URL, payload(), format="json", headers=forged).status_code == 401


def _past() -> str:
    return (timezone.localdate() - timedelta(days=1)).isoformat()


def _without(field: str) -> dict:
    data = payload()
    del data[field]
    return data


BAD_INPUTS = {
    "missing title": (_without("title"), "title"),
    "missing rent": (_without("monthly_rent"), "monthly_rent"),
    "missing deposit": (_without("deposit"), "deposit"),
    "missing available_from": (_without("available_from"), "available_from"),
    "missing bedrooms": (_without("bedrooms"), "bedrooms"),
    "blank title": (payload(title="  "), "title"),
    "title too long": (payload(title="x" * 121), "title"),
    "description too long": (payload(description="x" * 5001), "description"),
    "street too long": (payload(street_address="x" * 201), "street_address"),
    "city too long": (payload(city="x" * 101), "city"),
    "postal code too long": (payload(postal_code="x" * 21), "postal_code"),
    "title is a list": (payload(title=["a"]), "title"),
    "title is an object": (payload(title={"a": 1}), "title"),
    "rent is a string": (payload(monthly_rent="1450"), "monthly_rent"),
    "rent amount is text": (
        payload(monthly_rent={"amount": "lots", "currency": "EUR"}),
        "monthly_rent",
    ),
    "rent amount is a bool": (
        payload(monthly_rent={"amount": True, "currency": "EUR"}),
        "monthly_rent",
    ),
    "rent is zero": (payload(monthly_rent={"amount": "0", "currency": "EUR"}), "monthly_rent"),
    "rent is negative": (payload(monthly_rent={"amount": "-5", "currency": "EUR"}), "monthly_rent"),
    "rent is absurd": (
        payload(monthly_rent={"amount": "1000000.01", "currency": "EUR"}),
        "monthly_rent",
    ),
    "rent is astronomical": (
        payload(monthly_rent={"amount": "1e400", "currency": "EUR"}),
        "monthly_rent",
    ),
    "rent is NaN": (payload(monthly_rent={"amount": "NaN", "currency": "EUR"}), "monthly_rent"),
    "rent has 3 decimals": (
        payload(monthly_rent={"amount": "10.001", "currency": "EUR"}),
        "monthly_rent",
    ),
    "rent currency unknown": (
        payload(monthly_rent={"amount": "10", "currency": "XXX"}),
        "monthly_rent",
    ),
    "rent without currency": (payload(monthly_rent={"amount": "10"}), "monthly_rent"),
    "deposit negative": (payload(deposit={"amount": "-1", "currency": "EUR"}), "deposit"),
    "deposit over 12 months": (
        payload(deposit={"amount": "17400.01", "currency": "EUR"}),
        "deposit",
    ),
    "deposit in another currency": (
        payload(deposit={"amount": "100", "currency": "USD"}),
        "deposit",
    ),
    "bedrooms negative": (payload(bedrooms=-1), "bedrooms"),
    "bedrooms absurd": (payload(bedrooms=21), "bedrooms"),
    "bedrooms huge": (payload(bedrooms=10**30), "bedrooms"),
    "bedrooms fractional": (payload(bedrooms=1.5), "bedrooms"),
    "bedrooms text": (payload(bedrooms="two"), "bedrooms"),
    "bathrooms quarter step": (payload(bathrooms=1.25), "bathrooms"),
    "bathrooms off step": (payload(bathrooms=1.3), "bathrooms"),
    "bathrooms negative": (payload(bathrooms=-0.5), "bathrooms"),
    "bathrooms absurd": (payload(bathrooms=20.5), "bathrooms"),
    "area zero": (payload(area_sqm=0), "area_sqm"),
    "area absurd": (payload(area_sqm=10001), "area_sqm"),
    "latitude out of range": (payload(latitude=91), "latitude"),
    "longitude out of range": (payload(longitude=-180.5), "longitude"),
    "latitude astronomical": (payload(latitude="1e40"), "latitude"),
    "latitude without longitude": (payload(longitude=None), "latitude"),
    "country unknown": (payload(country="XX"), "country"),
    "country alpha-3": (payload(country="PRT"), "country"),
    "pets_allowed not a bool": (payload(pets_allowed="maybe"), "pets_allowed"),
    "available_from in the past": (payload(available_from=_past()), "available_from"),
    "available_from not a date": (payload(available_from="2027-13-45"), "available_from"),
    "available_from a number": (payload(available_from=20270101), "available_from"),
    "amenities not a list": (payload(amenities="balcony"), "amenities"),
    "too many amenities": (payload(amenities=[f"a{i}" for i in range(31)]), "amenities"),
    "amenity too long": (payload(amenities=["x" * 51]), "amenities"),
    "amenity not text": (payload(amenities=[{"a": 1}]), "amenities"),
    "photos not a list": (payload(photos={"url": "https://x.example/1.jpg"}), "photos"),
    "too many photos": (
        payload(photos=[{"url": f"https://x.example/{i}.jpg"} for i in range(31)]),
        "photos",
    ),
    "photo without url": (payload(photos=[{"caption": "x"}]), "photos"),
    "photo url not a url": (payload(photos=[{"url": "not a url"}]), "photos"),
    "photo url javascript": (payload(photos=[{"url": "javascript:alert(1)"}]), "photos"),
    "photo url ftp": (payload(photos=[{"url": "ftp://x.example/1.jpg"}]), "photos"),
    "photo url too long": (
        payload(photos=[{"url": "https://x.example/" + "a" * 490 + ".jpg"}]),
        "photos",
    ),
    "caption too long": (
        payload(photos=[{"url": "https://x.example/1.jpg", "caption": "x" * 201}]),
        "photos",
    ),
    "NUL in title": (payload(title="a\x00b"), "title"),
}


@pytest.mark.parametrize(("data", "field"), BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_is_a_400_naming_the_field(api, landlord, data, field):
    response = api.post(URL, data, format="json", headers=landlord.header)

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Listing.objects.exists()
    assert events() == []


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"",
        b"[]",
        b'"a string"',
        b"null",
        b"\xff\xfe",
        b'{"title": NaN}',
        b'{"title": "\\ud800"}',
        b'{"title": "' + b"x" * 100_000 + b'"}',
    ],
    ids=["broken", "empty", "list", "string", "null", "not utf-8", "NaN", "surrogate", "huge"],
)
def test_malformed_bodies_are_400(api, landlord, body):
    response = api.generic(
        "POST", URL, body, content_type="application/json", headers=landlord.header
    )
    assert response.status_code == 400, response.content


def test_unsupported_content_type_is_415(api, landlord):
    response = api.generic(
        "POST", URL, b"<listing/>", content_type="application/xml", headers=landlord.header
    )
    assert response.status_code == 415


def test_deposit_of_exactly_twelve_months_is_accepted(api, landlord):
    response = api.post(
        URL,
        payload(deposit={"amount": "17400.00", "currency": "EUR"}),
        format="json",
        headers=landlord.header,
    )
    assert response.status_code == 201, response.json()


def test_read_only_fields_are_ignored(api, landlord, other_landlord):
    response = api.post(
        URL,
        payload(status="published", landlord_id=other_landlord.id, id="not-even-a-uuid"),
        format="json",
        headers=landlord.header,
    )
    assert response.status_code == 201
    assert response.json()["status"] == "draft"
    assert response.json()["landlord_id"] == landlord.id
