"""The listings index in Elasticsearch: one explicit mapping, versioned indices
behind one alias, and the writes the consumer and the reindex make.

Queries and writes go through the alias (settings.SEARCH_INDEX_ALIAS), so a
reindex builds a new index beside the live one and swaps the alias in one atomic
`_aliases` call: queries answer from the old index until the swap and from the
new one after it. Every write carries the listing's version as an external
version (`external_gte`), so Elasticsearch itself refuses a stale write that
races a newer one (the consumer and a reindex's catch-up, say).

Elasticsearch unreachable, overloaded or refusing our credentials is
kernel.events.consumer.StoreUnavailable: the consumer waits, never dead-letters.
The distribution here has no analysis-common module, so text fields use the
built-in `standard` analyzer only, and the keys filters match on are lowercased
here rather than by a normalizer; nor has it mapper-extras, so rents are `double`
(exact to the cent far beyond any rent) rather than `scaled_float`.
"""

import logging
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from functools import cache
from typing import Any

from django.conf import settings
from elasticsearch import ApiError, Elasticsearch, TransportError, helpers

from apps.listings.contracts import ListingPhoto, ListingSnapshot, ListingStatus
from kernel.events.consumer import StoreUnavailable

logger = logging.getLogger(__name__)

# Bumped with any change to MAPPING: `manage.py search_reindex` then builds an index
# of the new version from the events and swaps the alias to it.
MAPPING_VERSION = 1

TEXT = {"type": "text", "analyzer": "standard"}
KEYWORD = {"type": "keyword"}
MAPPING: dict[str, Any] = {
    "dynamic": "strict",  # a field not declared here is a bug, not a new mapping
    "properties": {
        "id": KEYWORD,
        "landlord_id": KEYWORD,
        "status": KEYWORD,
        "title": {**TEXT, "fields": {"raw": KEYWORD}},
        "description": TEXT,
        "street_address": TEXT,
        "city": {**TEXT, "fields": {"raw": KEYWORD}},  # raw: facets, as written
        "city_key": KEYWORD,  # lowercased: the city filter is case-insensitive
        "postal_code": KEYWORD,
        "country": KEYWORD,
        "latitude": {"type": "double", "index": False},
        "longitude": {"type": "double", "index": False},
        "location": {"type": "geo_point"},
        "monthly_rent": {
            "properties": {
                "amount": {"type": "double"},
                "currency": KEYWORD,
            }
        },
        "deposit": {
            "properties": {
                "amount": {"type": "double"},
                "currency": KEYWORD,
            }
        },
        "bedrooms": {"type": "integer"},
        "bathrooms": {"type": "float"},
        "area_sqm": {"type": "float"},
        "amenities": {**KEYWORD, "fields": {"text": TEXT}},
        "pets_allowed": {"type": "boolean"},
        "available_from": {"type": "date"},
        "published_at": {"type": "date"},
        "updated_at": {"type": "date"},
        "photos": {"type": "object", "enabled": False},  # shown, never searched
        "images": {"type": "object", "enabled": False},  # uploaded photos: shown too
        # Titles and cities as typed; `standard` because the default (`simple`)
        # analyzer comes from analysis-common.
        "suggest": {"type": "completion", "analyzer": "standard", "search_analyzer": "standard"},
    },
}


def index_settings() -> dict[str, Any]:
    return {
        "number_of_shards": settings.SEARCH_INDEX_SHARDS,
        "number_of_replicas": settings.SEARCH_INDEX_REPLICAS,
        # Set explicitly so an idle index still refreshes every second (an unset
        # interval skips refreshes of an index nobody searched for 30 s, and the
        # first search then waits): a change is searchable within about a second.
        "refresh_interval": "1s",
        "max_result_window": settings.SEARCH_MAX_RESULT_WINDOW,
        # Fewer, larger segments than the default 10 per tier: a query pays per segment
        # (fuzzy terms expanded, the facets' sample drawn in each), and listings are
        # read far more often than written (docs/search.md "What a query costs").
        "merge.policy.segments_per_tier": settings.SEARCH_SEGMENTS_PER_TIER,
    }


@cache
def _client(url: str, timeout: float) -> Elasticsearch:
    # No retries of its own: the consumer retries, and a query fails fast so the
    # front end can fall back to listings' own search.
    return Elasticsearch(url, request_timeout=timeout, max_retries=0, retry_on_timeout=False)


def client() -> Elasticsearch:
    """For queries: fail within SEARCH_TIMEOUT_SECONDS."""
    return _client(settings.ELASTICSEARCH_URL, settings.SEARCH_TIMEOUT_SECONDS)


def writer() -> Elasticsearch:
    """For writes and index management (creating an index takes seconds on a busy
    node): a longer timeout, since a consumer waiting is better than one retrying."""
    return client().options(request_timeout=settings.SEARCH_WRITE_TIMEOUT_SECONDS)


def alias() -> str:
    return settings.SEARCH_INDEX_ALIAS


def unavailable(error: Exception) -> bool:
    """Elasticsearch cannot take the request now, through no fault of the request."""
    if isinstance(error, ApiError):
        return unavailable_status(error.meta.status)
    return isinstance(error, TransportError)  # connection refused, timeout


def unavailable_status(status: int) -> bool:
    """An answer's status (a whole request's, or one of an _msearch's) that is
    Elasticsearch's fault or our credentials', not the request's."""
    return status in (401, 403, 429) or status >= 500


class guarded:
    """Turns Elasticsearch being down into StoreUnavailable for the block."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, error, traceback) -> bool:
        if error is not None and unavailable(error):
            raise StoreUnavailable(f"Elasticsearch: {error}") from error
        return False


def new_index_name() -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
    return f"{alias()}-v{MAPPING_VERSION}-{stamp}"


def create_index(name: str, *, aliased: bool = False) -> None:
    body: dict[str, Any] = {"settings": index_settings(), "mappings": MAPPING}
    if aliased:
        body["aliases"] = {alias(): {"is_write_index": True}}
    writer().indices.create(index=name, **body)


def aliased_indices() -> list[str]:
    es = writer()
    if not es.indices.exists_alias(name=alias()):
        return []
    return sorted(es.indices.get_alias(name=alias()))


_aliased: set[tuple[str, str]] = set()  # (Elasticsearch, alias) seen pointing at an index


def ensure_index() -> None:
    """The alias points at an index: the first start creates one. Two consumers
    starting at once create the same first index, so only one of them succeeds.
    Asked once per process: the alias, once made, is only ever moved, never removed."""
    known = (settings.ELASTICSEARCH_URL, alias())
    if known in _aliased:
        return
    with guarded():
        if aliased_indices():
            # Fields added to MAPPING since the index was made are added to it in
            # place (Elasticsearch takes additive changes); any other change bumps
            # MAPPING_VERSION, for a reindex.
            writer().indices.put_mapping(index=alias(), **MAPPING)
            _aliased.add(known)
            return
        try:
            create_index(f"{alias()}-v{MAPPING_VERSION}-initial", aliased=True)
        except ApiError as error:
            if error.meta.status != 400 or "already_exists" not in str(error):
                raise
        _aliased.add(known)


def swap_alias(new: str) -> list[str]:
    """Point the alias at `new` alone, atomically; returns the indices it left."""
    old = aliased_indices()
    actions: list[dict[str, Any]] = [{"remove": {"index": name, "alias": alias()}} for name in old]
    actions.append({"add": {"index": new, "alias": alias(), "is_write_index": True}})
    writer().indices.update_aliases(actions=actions)
    return old


def delete_indices(names: Iterable[str]) -> None:
    for name in names:
        writer().indices.delete(index=name, ignore_unavailable=True)


def epoch_micros(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def is_searchable(snapshot: ListingSnapshot) -> bool:
    return snapshot.status == ListingStatus.PUBLISHED


def document(snapshot: ListingSnapshot) -> dict[str, Any]:
    """The listing as search answers it: listings' own field names (id, money as
    {amount, currency}), plus what only the index needs."""
    located = snapshot.latitude is not None and snapshot.longitude is not None
    title_words = snapshot.title.translate(_RESERVED).split()
    return {
        "id": str(snapshot.listing_id),
        "landlord_id": str(snapshot.landlord_id),
        "status": str(snapshot.status),
        "title": snapshot.title,
        "description": snapshot.description,
        "street_address": snapshot.street_address,
        "city": snapshot.city,
        "city_key": snapshot.city.strip().lower(),
        "postal_code": snapshot.postal_code,
        "country": snapshot.country,
        "latitude": snapshot.latitude,
        "longitude": snapshot.longitude,
        "location": {"lat": snapshot.latitude, "lon": snapshot.longitude} if located else None,
        "monthly_rent": _money(snapshot.monthly_rent),
        "deposit": _money(snapshot.deposit),
        "bedrooms": snapshot.bedrooms,
        "bathrooms": snapshot.bathrooms,
        "area_sqm": snapshot.area_sqm,
        "amenities": list(snapshot.amenities),
        "pets_allowed": snapshot.pets_allowed,
        "available_from": snapshot.available_from.isoformat(),
        "published_at": snapshot.published_at.isoformat() if snapshot.published_at else None,
        "updated_at": snapshot.updated_at.isoformat(),
        "photos": [{"url": photo.url, "caption": photo.caption} for photo in snapshot.photos],
        # A completion input matches from its start: the title from each of its
        # first words on, so "park" completes "Bright two-bedroom near the park".
        "suggest": [
            {
                "input": [" ".join(title_words[i:]) for i in range(min(len(title_words), 6))],
                "weight": 2,
            },
            {"input": [snapshot.city.translate(_RESERVED)], "weight": 1},
        ],
    }


def image(photo: ListingPhoto) -> dict[str, Any]:
    """An uploaded photo in the shape listings' API gives it (UploadedPhotoSerializer),
    so the front end renders either with the same template. Only shown photos have
    events, so it is always ready."""
    variants = photo.variants
    return {
        "id": str(photo.photo_id),
        "status": "ready",
        "position": photo.position,
        "caption": photo.caption,
        "width": photo.width,
        "height": photo.height,
        "variants": {
            name: {"url": variant.url, "width": variant.width, "height": variant.height}
            for name, variant in (
                ("thumbnail", variants.thumbnail),
                ("card", variants.card),
                ("full", variants.full),
            )
        },
    }


# Completion inputs cannot hold these (Elasticsearch reserves them); they are dropped.
_RESERVED = str.maketrans("", "", "\x00\x1e\x1f")


def _money(money) -> dict[str, str]:
    return {"amount": f"{money.amount:.2f}", "currency": money.currency}


def put(
    listing_id: str, version: int, doc: dict[str, Any] | None, *, index: str | None = None
) -> None:
    """Index `doc` (or remove the listing, given None) at `version`; a newer version
    already there wins."""
    es = writer()
    target = index or alias()
    try:
        if doc is None:
            es.delete(index=target, id=listing_id, version=version, version_type="external_gte")
        else:
            es.index(
                index=target,
                id=listing_id,
                document=doc,
                version=version,
                version_type="external_gte",
            )
    except ApiError as error:
        if error.meta.status == 409:
            return  # a newer version is in the index already
        if error.meta.status == 404 and doc is None:
            return  # nothing to remove
        raise


def bulk_put(index: str, items: Iterable[tuple[str, int, dict[str, Any] | None]]) -> int:
    """put() for many listings into `index` in bulk requests; returns how many went in."""

    def actions() -> Iterator[dict[str, Any]]:
        for listing_id, version, doc in items:
            common = {
                "_index": index,
                "_id": listing_id,
                "version": version,
                "version_type": "external_gte",
            }
            yield {"_op_type": "delete", **common} if doc is None else {"_source": doc, **common}

    done = 0
    for ok, result in helpers.streaming_bulk(
        writer(), actions(), chunk_size=1000, raise_on_error=False, max_retries=3
    ):
        status = next(iter(result.values())).get("status", 0)
        if ok:
            done += 1
        elif status not in (404, 409):  # nothing to remove; a newer version is there
            raise RuntimeError(f"bulk write to {index} failed: {result}")
    return done


def refresh() -> None:
    writer().indices.refresh(index=alias())
