"""The Redis cache in front of the public detail and anonymous search, on the real
Redis. Transactional, so the cached detail is retired on commit as in production."""

import pytest
from django.core.cache import cache

from apps.listings import caching, services
from apps.listings.models import Listing
from apps.listings.tests.helpers import URL, make_listing, payload

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def published(api, landlord):
    listing_id = api.post(URL, payload(), format="json", headers=landlord.header).json()["id"]
    assert api.post(f"{URL}/{listing_id}/publish", headers=landlord.header).status_code == 200
    return listing_id


def test_detail_is_served_from_the_cache(api, published, django_assert_num_queries):
    assert api.get(f"{URL}/{published}").status_code == 200
    with django_assert_num_queries(0):
        assert api.get(f"{URL}/{published}").json()["id"] == published


def test_an_edit_is_visible_in_the_detail_at_once(api, published, landlord):
    api.get(f"{URL}/{published}")  # cached
    # A write behind the services' back is not seen: the detail does come from the cache.
    Listing.objects.filter(id=published).update(title="Changed behind its back")
    assert api.get(f"{URL}/{published}").json()["title"] == payload()["title"]

    response = api.patch(
        f"{URL}/{published}", {"title": "Freshly painted"}, format="json", headers=landlord.header
    )

    assert response.status_code == 200
    assert api.get(f"{URL}/{published}").json()["title"] == "Freshly painted"


def test_every_change_retires_the_cached_detail(api, published, landlord):
    api.get(f"{URL}/{published}")
    api.post(f"{URL}/{published}/unpublish", headers=landlord.header)
    assert api.get(f"{URL}/{published}").status_code == 404

    api.post(f"{URL}/{published}/publish", headers=landlord.header)
    assert api.get(f"{URL}/{published}").json()["status"] == "published"

    api.delete(f"{URL}/{published}", headers=landlord.header)
    assert api.get(f"{URL}/{published}").status_code == 404


def test_a_lost_invalidation_shows_the_old_detail_for_30_seconds_at_most(api, published, settings):
    api.get(f"{URL}/{published}")  # cached under the current version
    working = settings.CACHES
    # Redis unreachable while the listing is let: the commit stands, the retirement of
    # its cached detail is lost.
    settings.CACHES = {"default": {**working["default"], "LOCATION": "redis://127.0.0.1:1/0"}}
    assert services.listing_mark_let(listing_id=published) is not None
    settings.CACHES = working

    assert api.get(f"{URL}/{published}").json()["status"] == "published"  # the old detail
    assert 0 < cache.ttl(caching.PublicDetail(published)._key) <= 30


def test_a_draft_is_never_cached(api, landlord, django_assert_num_queries):
    listing_id = api.post(URL, payload(), format="json", headers=landlord.header).json()["id"]
    api.get(f"{URL}/{listing_id}", headers=landlord.header)
    with django_assert_num_queries(2):  # the listing and its photos, every time
        assert api.get(f"{URL}/{listing_id}", headers=landlord.header).status_code == 200


def test_a_rolled_back_change_leaves_the_cache_valid(api, published, landlord):
    api.get(f"{URL}/{published}")
    version = cache.get(f"listing-version:{published}")
    response = api.patch(
        f"{URL}/{published}",
        {"deposit": {"amount": "999999", "currency": "EUR"}},  # refused inside the transaction
        format="json",
        headers=landlord.header,
    )
    assert response.status_code == 400
    assert cache.get(f"listing-version:{published}") == version


def test_anonymous_search_pages_are_cached_for_30_seconds(api, landlord, renter):
    make_listing(landlord.id, title="first")
    assert api.get(URL, {"city": "Lisbon"}).json()["count"] == 1

    make_listing(landlord.id, title="second")

    # The same query, however spelled, is the cached page for up to 30 s ...
    assert api.get(URL, {"city": "  LISBON ", "ordering": "-published_at"}).json()["count"] == 1
    # ... while signed-in users and other queries see the database.
    assert api.get(URL, {"city": "Lisbon"}, headers=renter.header).json()["count"] == 2
    assert api.get(URL, {"city": "Lisbon", "page_size": 5}).json()["count"] == 2
    key = caching.search_key(
        base_url="http://testserver/api/v1/listings", params={"city": ["Lisbon"]}
    )
    assert 0 < cache.ttl(key) <= 30


def test_refused_searches_are_not_cached(api):
    assert api.get(URL, {"bedrooms": "two"}).status_code == 400
    assert api.get(URL, {"bedrooms": "two"}).status_code == 400


def test_search_key_normalises_the_query():
    base = "http://testserver/api/v1/listings"
    key = caching.search_key(base_url=base, params={"city": ["lisbon"]})

    assert key == caching.search_key(
        base_url=base,
        params={
            "city": [" Lisbon  "],
            "q": [""],
            "ordering": ["-published_at"],
            "page": ["1"],
            "utm_source": ["mail"],
        },
    )
    assert key != caching.search_key(base_url=base, params={"city": ["lisbon"], "page": ["2"]})
    assert key != caching.search_key(base_url=base, params={"city": ["porto"]})
    assert key != caching.search_key(base_url="http://other/api/v1/listings", params={})


def test_a_dead_cache_falls_through_to_the_database(api, landlord, settings):
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}
    }
    cache.set("probe", 1)
    assert cache.get("probe") is None  # nothing listens there
    listing_id = api.post(URL, payload(), format="json", headers=landlord.header).json()["id"]
    assert api.post(f"{URL}/{listing_id}/publish", headers=landlord.header).status_code == 200

    assert api.get(f"{URL}/{listing_id}").json()["status"] == "published"
    assert api.get(URL).json()["count"] == 1
