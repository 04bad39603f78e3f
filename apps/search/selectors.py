"""Search's reads: listings found, facets counted and titles completed, from the
index behind the alias.

Only published listings are in the index (apps.search.services), so nothing here
filters on status. Every query is bounded: a page of at most 50, never past the
index's result window (search_after goes deeper), and the client's timeout. Its
work is bounded too, whatever the index holds: matches counted up to a limit, facets
from a sample past it, and sorts Elasticsearch can stop early (docs/search.md "What
a query costs").
"""

import base64
import json
import math
import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from elasticsearch import NotFoundError

from apps.search import index
from kernel.events.consumer import StoreUnavailable

# Rent buckets of the price facet, in the listing's currency units.
PRICE_BUCKETS = ((None, 500), (500, 1000), (1000, 1500), (1500, 2000), (2000, 3000), (3000, None))
FACET_SIZE = 20
SUGGESTIONS = 8
SAMPLE_SEED = 17  # the same sample for the same query: counts do not flicker between pages
EARTH_MEAN_RADIUS_KM = 6371.0088
DISTANCE_PIVOT_KM = 10  # any positive pivot orders alike; it only scales the score

# sort value -> Elasticsearch sort; the id breaks ties, so search_after is exact.
SORTS: dict[str, list[Any]] = {
    "relevance": ["_score", {"published_at": "desc"}],
    "rent": [{"monthly_rent.amount": "asc"}],
    "-rent": [{"monthly_rent.amount": "desc"}],
    "newest": [{"published_at": "desc"}],
    "oldest": [{"published_at": "asc"}],
    "available_from": [{"available_from": "asc"}],
    "-available_from": [{"available_from": "desc"}],
    # The score is the distance's alone (see _query): nearest first, and Elasticsearch
    # skips listings that cannot make the page, which a _geo_distance sort cannot.
    "distance": ["_score"],
}
TIEBREAK = {"id": "asc"}


@dataclass(frozen=True, kw_only=True)
class ListingQuery:
    q: str = ""
    city: str = ""
    min_rent: Decimal | None = None
    max_rent: Decimal | None = None
    bedrooms: int | None = None  # at least
    available_from: date | None = None  # available on or before
    pets_allowed: bool | None = None
    lat: float | None = None
    lon: float | None = None
    radius_km: float | None = None
    bbox: tuple[float, float, float, float] | None = None  # west, south, east, north
    sort: str = "relevance"
    page: int = 1
    page_size: int = 12
    search_after: list[Any] | None = None


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_cursor(token: str) -> list[Any]:
    """The sort values a cursor carries; ValueError if it is not one of ours."""
    try:
        values = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError("Not a cursor this API gave.") from error
    if not isinstance(values, list) or not all(isinstance(v, str | int | float) for v in values):
        raise ValueError("Not a cursor this API gave.")
    return values


def sort_length(sort: str) -> int:
    return len(SORTS[sort]) + 1


def listings_search(query: ListingQuery) -> dict[str, Any]:
    """A page of listings, the number found and the facets, at a cost bounded by
    SEARCH_EXACT_COUNT_LIMIT and SEARCH_FACET_SAMPLE_SIZE rather than by the matches.

    One _msearch carries the page and the facets. The page counts its matches only up
    to the limit, so Elasticsearch may skip listings that cannot reach it. The facets
    come from a random sample once the index outgrows twice the sample; when the page
    then turns out to have matched no more than the limit, the facets are counted
    again over those few matches, exactly.
    """
    probability = _sample_probability()
    page, facets = _msearch([_page_body(query), _facets_body(query, probability)])
    if page is None:
        return {
            "count": 0,
            "exact": True,
            "results": [],
            "facets": _read_facets(None),
            "search_after": None,
        }
    total = page["hits"]["total"]
    if probability == 1:  # a small index: everything counted
        count, aggregations, exact = facets["hits"]["total"]["value"], facets["aggregations"], True
    elif total["relation"] == "eq":  # a big index but few matches: those, exactly
        recount = _msearch([_facets_body(query, 1)])[0]
        count, aggregations, exact = total["value"], recount["aggregations"], True
    else:
        # The sampler's own doc_count is the sample's size; its buckets' are scaled up.
        aggregations, exact = facets["aggregations"]["sample"], False
        count = max(_about(aggregations["doc_count"] / probability), total["value"])
    hits = page["hits"]["hits"]
    full_page = len(hits) == query.page_size
    return {
        "count": count,
        "exact": exact,
        "results": [_found(hit, query) for hit in hits],
        "facets": _read_facets(aggregations, exact=exact),
        "search_after": encode_cursor(hits[-1]["sort"]) if hits and full_page else None,
    }


def _page_body(query: ListingQuery) -> dict[str, Any]:
    body: dict[str, Any] = {
        "query": _query(query),
        "sort": _sort(query),
        "size": query.page_size,
        "track_total_hits": settings.SEARCH_EXACT_COUNT_LIMIT,
    }
    if query.search_after is not None:
        body["search_after"] = query.search_after
    else:
        body["from"] = (query.page - 1) * query.page_size
    return body


def _facets_body(query: ListingQuery, probability: float) -> dict[str, Any]:
    body: dict[str, Any] = {"query": _query(query), "size": 0}
    if probability == 1:  # a small index: exact facets and an exact count are cheap
        return {**body, "track_total_hits": True, "aggs": _facets()}
    sample = {"probability": probability, "seed": SAMPLE_SEED}
    return {
        **body,
        "track_total_hits": False,
        "aggs": {"sample": {"random_sampler": sample, "aggs": _facets()}},
    }


def _found(hit: dict[str, Any], query: ListingQuery) -> dict[str, Any]:
    listing = dict(hit["_source"])
    location = listing.pop("location", None)
    for internal in ("city_key", "suggest"):
        listing.pop(internal, None)
    listing.setdefault("images", [])  # indexed before photo events were consumed
    if query.sort == "distance" and location is not None:
        listing["distance_km"] = round(
            _arc_km(query.lat, query.lon, location["lat"], location["lon"]), 3
        )
    return listing


def _arc_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine, on the mean radius Elasticsearch's geo_distance uses."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    h = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_MEAN_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


class _IndexSize:
    """How many listings the alias holds, counted at most once a minute per process:
    the sample's probability follows it, and it changes slowly."""

    TTL_SECONDS = 60

    def __init__(self) -> None:
        self.forget()

    def forget(self) -> None:
        """Count again at the next query (after a bulk load, say)."""
        self.alias, self.count, self.counted_at = "", 0, -math.inf

    def __call__(self) -> int:
        if self.alias != index.alias() or time.monotonic() - self.counted_at > self.TTL_SECONDS:
            with index.guarded():
                try:
                    count = index.client().count(index=index.alias())["count"]
                except NotFoundError:
                    count = 0
            self.alias, self.count, self.counted_at = index.alias(), count, time.monotonic()
        return self.count


index_size = _IndexSize()


def _sample_probability() -> float:
    """1 (every match counted) until the index holds twice the sample, since
    Elasticsearch samples at most half; then the share that visits about
    SEARCH_FACET_SAMPLE_SIZE listings of the index, whatever the query matches."""
    probability = settings.SEARCH_FACET_SAMPLE_SIZE / max(index_size(), 1)
    return 1 if probability >= 0.5 else probability


def _about(estimate: float) -> int:
    """An estimate to two significant figures: no more precise than a sample is."""
    if estimate < 1:
        return 0
    return int(float(f"{estimate:.2g}"))


def listing_suggestions(prefix: str) -> list[dict[str, str]]:
    body = {
        "suggest": {
            "listing": {
                "prefix": prefix,
                "completion": {
                    "field": "suggest",
                    "size": SUGGESTIONS,
                    "skip_duplicates": True,
                    "fuzzy": {"fuzziness": "AUTO", "min_length": 4},
                },
            }
        },
        "_source": ["id", "title", "city"],
    }
    response = _search(body)
    if response is None:
        return []
    suggestions = []
    for option in response["suggest"]["listing"][0]["options"]:
        source = option["_source"]
        kind = "city" if option["text"] == source["city"] else "title"
        suggestions.append(
            {
                "text": source["city"] if kind == "city" else source["title"],
                "kind": kind,
                "listing_id": source["id"] if kind == "title" else None,
            }
        )
    return suggestions


class CursorRefused(ValueError):
    """Elasticsearch cannot resume from the search_after values given."""


def _search(body: dict[str, Any]) -> dict[str, Any] | None:
    """The response, or None while there is no index yet (nothing consumed)."""
    with index.guarded():
        try:
            return index.client().search(index=index.alias(), **body).body
        except NotFoundError:
            return None


def _msearch(bodies: list[dict[str, Any]]) -> list[dict[str, Any] | None]:
    """The responses in order; None for each while there is no index yet."""
    searches: list[dict[str, Any]] = []
    for body in bodies:
        searches += [{"index": index.alias()}, body]
    with index.guarded():
        responses = index.client().msearch(searches=searches)["responses"]
    answers: list[dict[str, Any] | None] = []
    for body, response in zip(bodies, responses, strict=True):
        status = response.get("status", 200)
        if status == 404:
            answers.append(None)
        elif status == 400 and "search_after" in body:
            # Every other part of the query is validated before it is sent: only a
            # cursor's values, which the caller may have forged, can still be refused.
            raise CursorRefused("Not a cursor this API gave.")
        elif index.unavailable_status(status):
            raise StoreUnavailable(f"Elasticsearch: {status} {response.get('error')}")
        elif "error" in response:
            raise ValueError(f"Elasticsearch refused a search: {response['error']}")
        else:
            answers.append(response)
    return answers


def _query(query: ListingQuery) -> dict[str, Any]:
    filters: list[dict[str, Any]] = []
    if query.city:
        filters.append({"term": {"city_key": query.city.strip().lower()}})
    rent = {
        bound: float(value)
        for bound, value in (("gte", query.min_rent), ("lte", query.max_rent))
        if value is not None
    }
    if rent:
        filters.append({"range": {"monthly_rent.amount": rent}})
    if query.bedrooms is not None:
        filters.append({"range": {"bedrooms": {"gte": query.bedrooms}}})
    if query.available_from is not None:
        filters.append({"range": {"available_from": {"lte": query.available_from.isoformat()}}})
    if query.pets_allowed is not None:
        filters.append({"term": {"pets_allowed": query.pets_allowed}})
    if query.radius_km is not None:
        filters.append(
            {
                "geo_distance": {
                    "distance": f"{query.radius_km}km",
                    "location": {"lat": query.lat, "lon": query.lon},
                }
            }
        )
    if query.bbox is not None:
        west, south, east, north = query.bbox
        filters.append(
            {
                "geo_bounding_box": {
                    "location": {
                        "top_left": {"lat": north, "lon": west},
                        "bottom_right": {"lat": south, "lon": east},
                    }
                }
            }
        )
    must: list[dict[str, Any]] = []
    if query.q:
        must.append(
            {
                "multi_match": {
                    "query": query.q,
                    "fields": [
                        "title^3",
                        "city^2",
                        "amenities.text",
                        "description",
                        "street_address",
                    ],
                    # One or two typos per word, by its length; the first letter must be right.
                    "fuzziness": "AUTO",
                    "prefix_length": 1,
                    "operator": "and",
                }
            }
        )
    if query.sort == "distance":
        # The words filter, the distance scores: pivot / (pivot + distance), falling
        # with the distance, so the best score is the nearest; a listing without a
        # location scores 0 and comes last.
        nearness = {
            "distance_feature": {
                "field": "location",
                "origin": {"lat": query.lat, "lon": query.lon},
                "pivot": f"{query.radius_km or DISTANCE_PIVOT_KM}km",
            }
        }
        # A filter, if only match_all: a bool of nothing but an optional clause would
        # require it, and drop the listings without a location.
        required = filters + must or [{"match_all": {}}]
        return {"bool": {"filter": required, "should": [nearness]}}
    return {"bool": {"must": must or [{"match_all": {}}], "filter": filters}}


def _sort(query: ListingQuery) -> list[Any]:
    return [*SORTS[query.sort], TIEBREAK]


def _facets() -> dict[str, Any]:
    ranges = [
        {
            "key": _bucket_key(low, high),
            **({"from": low} if low else {}),
            **({"to": high} if high else {}),
        }
        for low, high in PRICE_BUCKETS
    ]
    return {
        "city": {"terms": {"field": "city.raw", "size": FACET_SIZE}},
        "bedrooms": {"terms": {"field": "bedrooms", "size": FACET_SIZE, "order": {"_key": "asc"}}},
        "pets_allowed": {"terms": {"field": "pets_allowed"}},
        "price": {"range": {"field": "monthly_rent.amount", "ranges": ranges}},
    }


def _bucket_key(low: int | None, high: int | None) -> str:
    return f"{low or 0}-{high}" if high else f"{low}+"


def _read_facets(
    aggregations: dict[str, Any] | None, *, exact: bool = True
) -> dict[str, list[dict[str, Any]]]:
    if aggregations is None:
        return {"city": [], "bedrooms": [], "pets_allowed": [], "price": []}
    count = (lambda bucket: bucket["doc_count"]) if exact else (lambda b: _about(b["doc_count"]))

    def terms(name: str, key=lambda bucket: bucket["key"]) -> list[dict[str, Any]]:
        return [{"value": key(b), "count": count(b)} for b in aggregations[name]["buckets"]]

    return {  # every value a string, as the query parameter that selects it
        "city": terms("city"),
        "bedrooms": terms("bedrooms", key=lambda bucket: str(bucket["key"])),
        "pets_allowed": terms("pets_allowed", key=lambda bucket: bucket["key_as_string"]),
        "price": [
            {
                "value": bucket["key"],
                "min": bucket.get("from"),
                "max": bucket.get("to"),
                "count": count(bucket),
            }
            for bucket in aggregations["price"]["buckets"]
        ],
    }
