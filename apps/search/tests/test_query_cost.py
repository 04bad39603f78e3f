"""A query's cost is bounded by a sample, not by its matches: beyond
SEARCH_EXACT_COUNT_LIMIT matches the count and the facets are estimates, and say so;
within it they stay exact. The distance sort is a score Elasticsearch can skip on,
and still orders, pages and measures like a distance. Against the real Elasticsearch,
with the limits shrunk so that a few hundred listings are "very many"."""

import pytest

from apps.search import index, rebuild, selectors
from apps.search.tests.support import LISBON, PORTO, changed

pytestmark = pytest.mark.django_db

URL = "/api/v1/search/listings"
LISTINGS = 400
PORTO_LISTINGS = 4  # under the exact-count limit below


@pytest.fixture
def many(settings):
    settings.SEARCH_EXACT_COUNT_LIMIT = 20
    settings.SEARCH_FACET_SAMPLE_SIZE = 100  # a quarter of the index
    envelopes = [
        changed(title=f"Flat {n}", city="Lisbon", rent=f"{500 + n}.00", bedrooms=n % 3)
        for n in range(LISTINGS - PORTO_LISTINGS)
    ] + [changed(title=f"Loft {n}", city="Porto", point=PORTO) for n in range(PORTO_LISTINGS)]
    indexed(*envelopes)


def test_very_many_matches_are_estimated_from_a_sample_and_say_so(client, many):
    found = client.get(URL).json()

    assert found["exact"] is False
    # A quarter sampled: about 100 of the 400, so the estimate is within a few
    # standard deviations (about 35) of the truth.
    assert 0.6 * LISTINGS <= found["count"] <= 1.4 * LISTINGS
    lisbon = {f["value"]: f["count"] for f in found["facets"]["city"]}["Lisbon"]
    assert 0.6 * LISTINGS <= lisbon <= 1.4 * LISTINGS
    # Two significant figures: no more precise than the sample.
    assert all(len(str(f["count"]).rstrip("0")) <= 2 for f in found["facets"]["bedrooms"])
    # The same query, the same sample: counts do not change between pages.
    second = client.get(URL, {"page": 2}).json()
    assert (second["count"], second["facets"]) == (found["count"], found["facets"])


def test_few_matches_in_a_big_index_are_counted_exactly(client, many):
    found = client.get(URL, {"city": "porto"}).json()

    assert found["count"] == PORTO_LISTINGS
    assert found["exact"] is True
    assert found["facets"]["city"] == [{"value": "Porto", "count": PORTO_LISTINGS}]


def test_a_small_index_counts_everything_exactly(client, settings):
    settings.SEARCH_EXACT_COUNT_LIMIT = 2
    indexed(*(changed(title=f"Flat {n}") for n in range(5)))

    found = client.get(URL).json()

    assert (found["count"], found["exact"]) == (5, True)
    assert found["facets"]["city"] == [{"value": "Lisbon", "count": 5}]


def test_distance_sort_orders_pages_and_measures_like_a_distance(client):
    near = changed(title="Near", point=(PORTO[0] + 0.01, PORTO[1]))  # about 1.1 km north
    nearer = changed(title="Nearer", point=PORTO)
    far = changed(title="Far", point=LISBON)
    nowhere = changed(title="Nowhere", point=None)
    indexed(far, nowhere, near, nearer)
    params = {"lat": PORTO[0], "lon": PORTO[1], "sort": "distance", "page_size": 1}

    walked, cursor = [], None
    while True:
        page = client.get(URL, {**params, **({"search_after": cursor} if cursor else {})}).json()
        walked += page["results"]
        if not (cursor := page["search_after"]):
            break

    assert [r["title"] for r in walked] == ["Nearer", "Near", "Far", "Nowhere"]
    assert walked[0]["distance_km"] == 0
    assert walked[1]["distance_km"] == pytest.approx(1.112, abs=0.002)
    assert walked[2]["distance_km"] == pytest.approx(274, abs=2)  # Porto to Lisbon
    assert "distance_km" not in walked[3]
    # Words still narrow a distance search; they just do not rank it.
    narrowed = client.get(URL, {**params, "q": "near", "page_size": 5}).json()["results"]
    assert [r["title"] for r in narrowed] == ["Near"]


def test_the_arc_is_elasticsearchs(client):
    """The distance shown is computed here from the listing's point: it must agree with
    Elasticsearch's own geo_distance, which the radius filter uses."""
    indexed(changed(title="Far", point=LISBON))
    sort = {"_geo_distance": {"location": {"lat": PORTO[0], "lon": PORTO[1]}, "unit": "km"}}
    theirs = index.client().search(index=index.alias(), sort=[sort])["hits"]["hits"][0]["sort"][0]

    assert selectors._arc_km(*PORTO, *LISBON) == pytest.approx(theirs, rel=1e-6)


def indexed(*envelopes) -> None:
    """Straight into the index, in bulk: what the consumer would write, quicker."""
    index.ensure_index()
    documents = (
        (e.aggregate_id, 1, index.document(rebuild.ListingChanged.from_payload(e.payload).listing))
        for e in envelopes
    )
    index.bulk_put(index.aliased_indices()[0], documents)
    index.refresh()
