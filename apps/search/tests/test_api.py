"""GET /api/v1/search/listings and /suggest against the real Elasticsearch: typos
forgiven, listings' filters, radius and box, sorts, facets, deep pages, and a 400
naming the parameter for anything it cannot understand."""

import pytest

from apps.search import index
from apps.search.consumers import LISTINGS_INDEX
from apps.search.tests.support import LISBON, PORTO, changed
from kernel.testing.events import deliver

pytestmark = pytest.mark.django_db

URL = "/api/v1/search/listings"


@pytest.fixture
def listings():
    made = {
        "lisbon_flat": changed(
            title="Sunny flat by the river", city="Lisbon", rent="900.00", bedrooms=1, pets=False
        ),
        "lisbon_house": changed(
            title="Family house with garden", city="Lisbon", rent="2400.00", bedrooms=4
        ),
        "porto_loft": changed(
            title="Industrial loft downtown", city="Porto", rent="1200.00", bedrooms=2, point=PORTO
        ),
        "porto_studio": changed(
            title="Tiny studio near the station",
            city="porto",
            rent="600.00",
            bedrooms=0,
            point=None,
        ),
    }
    for envelope in made.values():
        deliver(LISTINGS_INDEX, envelope)
    index.refresh()
    return {name: envelope.aggregate_id for name, envelope in made.items()}


def ids(client, **params) -> list[str]:
    response = client.get(URL, params)
    assert response.status_code == 200, response.json()
    return [listing["id"] for listing in response.json()["results"]]


def test_search_filters_sorts_and_counts(client, listings):
    # Typos: a letter missing, two swapped.
    assert ids(client, q="gardn") == [listings["lisbon_house"]]
    assert ids(client, q="indsutrial lfot") == [listings["porto_loft"]]
    # listings' own filters; the city in any case.
    assert set(ids(client, city="PORTO")) == {listings["porto_loft"], listings["porto_studio"]}
    assert ids(client, min_rent="1000", max_rent="2000") == [listings["porto_loft"]]
    assert set(ids(client, bedrooms=2)) == {listings["lisbon_house"], listings["porto_loft"]}
    assert listings["lisbon_flat"] not in ids(client, pets_allowed="true")
    assert ids(client, available_from="2026-12-31") == []
    # Geography: within 50 km of Lisbon, a box around Porto, nearest first.
    lat, lon = LISBON
    assert set(ids(client, lat=lat, lon=lon, radius_km=50)) == {
        listings["lisbon_flat"],
        listings["lisbon_house"],
    }
    assert ids(client, bbox="-9,41,-8,42") == [listings["porto_loft"]]
    by_distance = client.get(URL, {"lat": PORTO[0], "lon": PORTO[1], "sort": "distance"}).json()[
        "results"
    ]
    assert by_distance[0]["id"] == listings["porto_loft"]
    assert by_distance[0]["distance_km"] < 1
    assert ids(client, sort="rent")[0] == listings["porto_studio"]
    assert ids(client, sort="-rent")[0] == listings["lisbon_house"]

    facets = client.get(URL).json()["facets"]
    assert {f["value"]: f["count"] for f in facets["city"]} == {"Lisbon": 2, "Porto": 1, "porto": 1}
    assert {f["value"]: f["count"] for f in facets["bedrooms"]} == {"0": 1, "1": 1, "2": 1, "4": 1}
    assert {f["value"]: f["count"] for f in facets["pets_allowed"]} == {"true": 3, "false": 1}
    prices = {f["value"]: f["count"] for f in facets["price"]}
    assert prices["500-1000"] == 2
    assert prices["1000-1500"] == 1
    assert prices["2000-3000"] == 1
    # Facets count what the filters match.
    lisbon = client.get(URL, {"city": "lisbon"}).json()["facets"]
    assert {f["value"]: f["count"] for f in lisbon["city"]} == {"Lisbon": 2}


def test_pages_and_search_after_walk_every_result_once(client, listings):
    first = client.get(URL, {"sort": "rent", "page_size": 3}).json()
    assert first["count"] == 4
    assert len(first["results"]) == 3
    rest = client.get(
        URL, {"sort": "rent", "page_size": 3, "search_after": first["search_after"]}
    ).json()
    walked = [r["id"] for r in first["results"] + rest["results"]]
    assert sorted(walked) == sorted(listings.values())
    assert rest["search_after"] is None
    assert ids(client, sort="rent", page_size=3, page=2) == [r["id"] for r in rest["results"]]


def test_suggest_completes_titles_and_cities(client, listings):
    response = client.get("/api/v1/search/suggest", {"q": "gard"})
    assert response.status_code == 200
    assert {
        "text": "Family house with garden",
        "kind": "title",
        "listing_id": listings["lisbon_house"],
    } in response.json()["suggestions"]
    cities = client.get("/api/v1/search/suggest", {"q": "Lis"}).json()["suggestions"]
    assert {"text": "Lisbon", "kind": "city", "listing_id": None} in cities


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"min_rent": "cheap"}, "min_rent"),
        ({"min_rent": "900", "max_rent": "100"}, "max_rent"),
        ({"bedrooms": "-1"}, "bedrooms"),
        ({"pets_allowed": "maybe"}, "pets_allowed"),
        ({"available_from": "tomorrow"}, "available_from"),
        ({"radius_km": "5"}, "radius_km"),
        ({"lat": "100", "lon": "0"}, "lat"),
        ({"lat": "38.7"}, "lon"),
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "0,50,1,40"}, "bbox"),
        ({"sort": "distance"}, "sort"),
        ({"sort": "cheapest"}, "sort"),
        ({"page_size": "51"}, "page_size"),
        ({"page": "200", "page_size": "50"}, "page"),
        ({"search_after": "not-a-cursor"}, "search_after"),
        # Decodes, has the right length, but Elasticsearch cannot sort from it.
        ({"sort": "rent", "search_after": "WyJjaGVhcCIsICJ4Il0"}, "search_after"),
        ({"lat": "nan", "lon": "0"}, "lat"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_bad_input_is_a_400_naming_the_parameter(client, params, field):
    index.ensure_index()  # so a forged cursor reaches Elasticsearch
    response = client.get(URL, params)
    assert response.status_code == 400
    assert field in response.json()


def test_suggest_needs_something_typed(client):
    assert "q" in client.get("/api/v1/search/suggest", {"q": "Lis\x1ebon"}).json()
    response = client.get("/api/v1/search/suggest")
    assert response.status_code == 400
    assert "q" in response.json()


def test_no_index_yet_is_an_empty_answer_and_elasticsearch_down_a_503(client, settings):
    empty = client.get(URL, {"q": "anything"})
    assert empty.status_code == 200
    assert empty.json()["count"] == 0
    settings.ELASTICSEARCH_URL = "http://127.0.0.1:9"
    down = client.get(URL)
    assert down.status_code == 503
