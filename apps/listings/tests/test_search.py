"""GET /api/v1/listings: public search over published listings. Most requests here
are a renter's, so the anonymous 30 s page cache (test_cache.py) stays out of the way."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from apps.listings.models import Listing
from apps.listings.selectors import search_listings
from apps.listings.tests.helpers import URL, make_listing

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["title"] for item in response.json()["results"]]


def _search(api, user, **params):
    return api.get(URL, params, headers=user.header)


def test_anonymous_sees_only_published_listings(api, landlord):
    make_listing(landlord.id, title="On the market")
    for status in ("draft", "unpublished", "let"):
        make_listing(landlord.id, title=status, status=status)

    response = api.get(URL)

    assert _titles(response) == ["On the market"]
    item = response.json()["results"][0]
    assert item["monthly_rent"] == {"amount": "1000.00", "currency": "EUR"}
    assert item["deposit"] == {"amount": "2000.00", "currency": "EUR"}
    assert response.json()["count"] == 1


def test_city_is_case_insensitive_and_exact(api, landlord, renter):
    make_listing(landlord.id, title="a", city="Lisbon")
    make_listing(landlord.id, title="b", city="LISBON")
    make_listing(landlord.id, title="c", city="Lisbon Oriente")
    make_listing(landlord.id, title="d", city="Porto")

    assert sorted(_titles(_search(api, renter, city="lisbon"))) == ["a", "b"]


def test_rent_range(api, landlord, renter):
    for rent in ("800", "1000", "1200", "1500"):
        make_listing(landlord.id, title=rent, rent_amount=Decimal(rent), deposit_amount=0)

    assert sorted(_titles(_search(api, renter, min_rent="1000", max_rent="1200"))) == [
        "1000",
        "1200",
    ]
    assert sorted(_titles(_search(api, renter, min_rent="1200.50"))) == ["1500"]
    assert sorted(_titles(_search(api, renter, max_rent="800"))) == ["800"]


def test_bedrooms_is_at_least(api, landlord, renter):
    for bedrooms in (0, 1, 2, 3):
        make_listing(landlord.id, title=str(bedrooms), bedrooms=bedrooms)

    assert sorted(_titles(_search(api, renter, bedrooms=2))) == ["2", "3"]
    assert len(_titles(_search(api, renter, bedrooms=0))) == 4


def test_available_from_means_available_on_or_before(api, landlord, renter):
    for days in (0, 10, 20):
        make_listing(landlord.id, title=str(days), available_from=TODAY + timedelta(days=days))

    date = (TODAY + timedelta(days=10)).isoformat()
    assert sorted(_titles(_search(api, renter, available_from=date))) == ["0", "10"]


def test_pets_allowed(api, landlord, renter):
    make_listing(landlord.id, title="cats welcome", pets_allowed=True)
    make_listing(landlord.id, title="no pets", pets_allowed=False)

    assert _titles(_search(api, renter, pets_allowed="true")) == ["cats welcome"]
    assert _titles(_search(api, renter, pets_allowed="false")) == ["no pets"]
    assert len(_titles(_search(api, renter))) == 2


def test_free_text_matches_words_in_title_description_and_city(api, landlord, renter):
    make_listing(landlord.id, title="Sunny loft", description="Two balconies and a lift")
    make_listing(landlord.id, title="Garden flat", description="Quiet", city="Coimbra")
    make_listing(landlord.id, title="Studio", description="Compact")

    assert _titles(_search(api, renter, q="balcony")) == ["Sunny loft"]  # stemmed
    assert _titles(_search(api, renter, q="SUNNY")) == ["Sunny loft"]
    assert _titles(_search(api, renter, q="coimbra")) == ["Garden flat"]
    assert _titles(_search(api, renter, q="garden quiet")) == ["Garden flat"]  # every word
    assert _titles(_search(api, renter, q="garden -quiet")) == []
    assert _titles(_search(api, renter, q="penthouse")) == []


@pytest.mark.parametrize(
    "text",
    ['"unbalanced', "a & b | !c", "():*<->", "'; DROP TABLE x; --", "the", "\u00e9t\u00e9 ☀"],
)
def test_free_text_takes_anything_a_user_types(api, landlord, renter, text):
    make_listing(landlord.id)
    assert _search(api, renter, q=text).status_code == 200


def test_free_text_query_uses_the_gin_index(landlord):
    make_listing(landlord.id)
    queryset = search_listings(Listing.objects.all(), "balcony")
    with connection.cursor() as cursor:  # a table of one row would be scanned otherwise
        cursor.execute("SET LOCAL enable_seqscan = off")
    assert "listing_search_vector" in queryset.explain()


def test_filters_combine(api, landlord, renter):
    make_listing(landlord.id, title="match", city="Porto", bedrooms=2, pets_allowed=True)
    make_listing(landlord.id, title="wrong city", city="Faro", bedrooms=2, pets_allowed=True)
    make_listing(landlord.id, title="too small", city="Porto", bedrooms=1, pets_allowed=True)
    make_listing(landlord.id, title="no pets", city="Porto", bedrooms=3, pets_allowed=False)

    response = _search(api, renter, city="porto", bedrooms=2, pets_allowed="true", max_rent=1000)
    assert _titles(response) == ["match"]


def test_default_order_is_newest_published_first(api, landlord, renter):
    now = timezone.now()
    for hours in (3, 1, 2):
        make_listing(landlord.id, title=f"{hours}h ago", published_at=now - timedelta(hours=hours))

    assert _titles(_search(api, renter)) == ["1h ago", "2h ago", "3h ago"]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("rent", ["cheap", "mid", "dear"]),
        ("-rent", ["dear", "mid", "cheap"]),
        ("available_from", ["dear", "cheap", "mid"]),
        ("-available_from", ["mid", "cheap", "dear"]),
        ("published_at", ["mid", "dear", "cheap"]),
        ("-published_at", ["cheap", "dear", "mid"]),
    ],
)
def test_ordering(api, landlord, renter, ordering, expected):
    now = timezone.now()
    for title, rent, days_until, hours_ago in (
        ("cheap", 500, 5, 1),
        ("mid", 900, 9, 3),
        ("dear", 1500, 1, 2),
    ):
        make_listing(
            landlord.id,
            title=title,
            rent_amount=Decimal(rent),
            deposit_amount=0,
            available_from=TODAY + timedelta(days=days_until),
            published_at=now - timedelta(hours=hours_ago),
        )

    assert _titles(_search(api, renter, ordering=ordering)) == expected


def test_pagination(api, landlord, renter):
    now = timezone.now()
    for i in range(25):
        make_listing(landlord.id, title=f"{i:02}", published_at=now - timedelta(minutes=i))

    first = _search(api, renter)
    assert first.json()["count"] == 25
    assert len(first.json()["results"]) == 20  # the default page size
    second = _search(api, renter, page=2)
    assert _titles(second) == [f"{i:02}" for i in range(20, 25)]
    assert second.json()["next"] is None

    small = _search(api, renter, page_size=10, page=3)
    assert _titles(small) == [f"{i:02}" for i in range(20, 25)]
    assert len(_search(api, renter, page_size=1000).json()["results"]) == 25  # capped at 100
    assert _search(api, renter, page=99).status_code == 404
    assert _search(api, renter, page="abc").status_code == 404


def test_pages_never_repeat_listings_with_equal_sort_keys(api, landlord, renter):
    published_at = timezone.now()
    for i in range(7):
        make_listing(landlord.id, title=str(i), published_at=published_at)

    seen = []
    for page in (1, 2, 3):
        seen += _titles(_search(api, renter, page_size=3, page=page, ordering="rent"))
    assert sorted(seen) == [str(i) for i in range(7)]


INVALID_FILTERS = {
    "min_rent text": ({"min_rent": "cheap"}, "min_rent"),
    "min_rent negative": ({"min_rent": "-1"}, "min_rent"),
    "max_rent absurd": ({"max_rent": "1e400"}, "max_rent"),
    "max_rent NaN": ({"max_rent": "NaN"}, "max_rent"),
    "max_rent below min_rent": ({"min_rent": "900", "max_rent": "800"}, "max_rent"),
    "bedrooms text": ({"bedrooms": "two"}, "bedrooms"),
    "bedrooms fractional": ({"bedrooms": "1.5"}, "bedrooms"),
    "bedrooms negative": ({"bedrooms": "-1"}, "bedrooms"),
    "bedrooms huge": ({"bedrooms": "99999999999999999999"}, "bedrooms"),
    "available_from not a date": ({"available_from": "next week"}, "available_from"),
    "available_from impossible": ({"available_from": "2027-02-30"}, "available_from"),
    "pets_allowed maybe": ({"pets_allowed": "maybe"}, "pets_allowed"),
    "ordering unknown": ({"ordering": "title"}, "ordering"),
    "ordering injection": ({"ordering": "-rent; DROP TABLE x"}, "ordering"),
    "city too long": ({"city": "x" * 101}, "city"),
    "q too long": ({"q": "x" * 201}, "q"),
    "q with NUL": ({"q": "a\x00b"}, "q"),
}


@pytest.mark.parametrize(("params", "field"), INVALID_FILTERS.values(), ids=INVALID_FILTERS.keys())
def test_invalid_filter_values_are_400_naming_the_parameter(api, params, field):
    response = api.get(URL, params)
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_unknown_parameters_are_ignored(api, landlord):
    make_listing(landlord.id)
    assert api.get(URL, {"colour": "blue"}).json()["count"] == 1


def test_search_makes_a_fixed_number_of_queries(api, landlord, renter, django_assert_num_queries):
    for _ in range(5):
        make_listing(landlord.id, amenities=["lift"], photos=[{"url": "https://x.example/1.jpg"}])
    with django_assert_num_queries(3):  # the count, the page and its photos
        assert len(_titles(_search(api, renter, q="flat", city="lisbon"))) == 5
