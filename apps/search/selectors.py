"""Search's reads: listings found, facets counted and titles completed, from the
index behind the alias.

Only published listings are in the index (apps.search.services), so nothing here
filters on status. Every query is bounded: a page of at most 50, never past the
index's result window (search_after goes deeper), and the client's timeout.
"""

import base64
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from elasticsearch import BadRequestError, NotFoundError

from apps.search import index

# Rent buckets of the price facet, in the listing's currency units.
PRICE_BUCKETS = ((None, 500), (500, 1000), (1000, 1500), (1500, 2000), (2000, 3000), (3000, None))
FACET_SIZE = 20
SUGGESTIONS = 8

# sort value -> Elasticsearch sort; the id breaks ties, so search_after is exact.
SORTS: dict[str, list[Any]] = {
    "relevance": ["_score", {"published_at": "desc"}],
    "rent": [{"monthly_rent.amount": "asc"}],
    "-rent": [{"monthly_rent.amount": "desc"}],
    "newest": [{"published_at": "desc"}],
    "oldest": [{"published_at": "asc"}],
    "available_from": [{"available_from": "asc"}],
    "-available_from": [{"available_from": "desc"}],
    "distance": [],  # from the point asked about: see _sort
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
    return len(SORTS[sort]) + (1 if sort == "distance" else 0) + 1


def listings_search(query: ListingQuery) -> dict[str, Any]:
    body: dict[str, Any] = {
        "query": _query(query),
        "sort": _sort(query),
        "size": query.page_size,
        "track_total_hits": True,
        "aggs": _facets(),
    }
    if query.search_after is not None:
        body["search_after"] = query.search_after
    else:
        body["from"] = (query.page - 1) * query.page_size
    response = _search(body)
    if response is None:
        return {"count": 0, "results": [], "facets": _read_facets(None), "search_after": None}
    hits = response["hits"]["hits"]
    results = []
    for hit in hits:
        listing = dict(hit["_source"])
        for internal in ("city_key", "location", "suggest"):
            listing.pop(internal, None)
        listing.setdefault("images", [])  # indexed before photo events were consumed
        distance = hit["sort"][0] if query.sort == "distance" else None
        if isinstance(distance, float):  # "Infinity" for a listing without a location
            listing["distance_km"] = round(distance, 3)
        results.append(listing)
    full_page = len(hits) == query.page_size
    return {
        "count": response["hits"]["total"]["value"],
        "results": results,
        "facets": _read_facets(response["aggregations"]),
        "search_after": encode_cursor(hits[-1]["sort"]) if hits and full_page else None,
    }


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
        except BadRequestError as error:
            # Every other part of the query is validated before it is sent: only a
            # cursor's values, which the caller may have forged, can still be refused.
            if "search_after" in body:
                raise CursorRefused("Not a cursor this API gave.") from error
            raise


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
    return {"bool": {"must": must or [{"match_all": {}}], "filter": filters}}


def _sort(query: ListingQuery) -> list[Any]:
    if query.sort == "distance":
        point = {"lat": query.lat, "lon": query.lon}
        return [{"_geo_distance": {"location": point, "order": "asc", "unit": "km"}}, TIEBREAK]
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


def _read_facets(aggregations: dict[str, Any] | None) -> dict[str, list[dict[str, Any]]]:
    if aggregations is None:
        return {"city": [], "bedrooms": [], "pets_allowed": [], "price": []}

    def terms(name: str, key=lambda bucket: bucket["key"]) -> list[dict[str, Any]]:
        return [{"value": key(b), "count": b["doc_count"]} for b in aggregations[name]["buckets"]]

    return {  # every value a string, as the query parameter that selects it
        "city": terms("city"),
        "bedrooms": terms("bedrooms", key=lambda bucket: str(bucket["key"])),
        "pets_allowed": terms("pets_allowed", key=lambda bucket: bucket["key_as_string"]),
        "price": [
            {
                "value": bucket["key"],
                "min": bucket.get("from"),
                "max": bucket.get("to"),
                "count": bucket["doc_count"],
            }
            for bucket in aggregations["price"]["buckets"]
        ],
    }
