"""Redis caching of the two hot reads: a listing's public detail and anonymous
search pages. The cache is an optimisation only: the settings make every cache
error a miss, so a dead Redis leaves the database answering.

Detail: `listing-detail:<id>:<version>` (30 s), where the version is a random
token under `listing-version:<id>` (1 day), replaced after every committed change.
A reader takes the version before it reads the database, so a stale read racing
a write is stored under a version nobody asks for any more; deleting the entry
after the commit instead could let that racing reader put the old state back.
Replacing the version is best-effort: when Redis is unreachable, or fails over
before the write reached its replica, the change still commits and the old detail
stays reachable. Its short life bounds that staleness; at 10 minutes, a node kill
in the cluster showed approved listings as still on the market long after.

Search: `listing-search:<sha256 of the normalised query>` (30 s). Not invalidated:
30 s of staleness is the price of absorbing the anonymous browsing traffic.
"""

import hashlib
import json
import uuid
from typing import Any

from django.core.cache import cache

DETAIL_TTL = 30  # the longest a lost invalidation shows an old detail
VERSION_TTL = 86400  # longer than DETAIL_TTL; an expired version only costs a miss
SEARCH_TTL = 30

# The search parameters; anything else in the query string changes no result.
SEARCH_PARAMS = (
    "available_from",
    "bedrooms",
    "city",
    "max_rent",
    "min_rent",
    "ordering",
    "page",
    "page_size",
    "pets_allowed",
    "q",
)
# Matched case-insensitively by the search, so their case must not split the cache.
CASE_INSENSITIVE_PARAMS = {"city", "q"}
SEARCH_DEFAULTS = {"ordering": "-published_at", "page": "1"}


def _version_key(listing_id: uuid.UUID) -> str:
    return f"listing-version:{listing_id}"


class PublicDetail:
    """The cached public representation of one listing, read and filled under the
    version that was current when the read began."""

    def __init__(self, listing_id: uuid.UUID) -> None:
        self.listing_id = listing_id
        self.version = cache.get(_version_key(listing_id))
        if self.version is None:
            cache.add(_version_key(listing_id), uuid.uuid4().hex, VERSION_TTL)
            self.version = cache.get(_version_key(listing_id))

    @property
    def _key(self) -> str:
        return f"listing-detail:{self.listing_id}:{self.version}"

    def get(self) -> dict[str, Any] | None:
        return cache.get(self._key) if self.version else None

    def set(self, data: dict[str, Any]) -> None:
        if self.version:
            cache.set(self._key, data, DETAIL_TTL)


def forget_listing(listing_id: uuid.UUID) -> None:
    """Make every cached detail of the listing unreachable; run after commit."""
    cache.set(_version_key(listing_id), uuid.uuid4().hex, VERSION_TTL)


def search_key(*, base_url: str, params: dict[str, list[str]]) -> str:
    """The key of one search page: the known parameters, whitespace collapsed, the
    case-insensitive ones lowercased, empty ones dropped and defaults filled in, so
    `?city=Lisbon ` and `?city=lisbon&ordering=-published_at` share an entry. The
    base URL is part of it because the page's next/previous links are absolute."""
    normalized = {}
    for name in SEARCH_PARAMS:
        values = [" ".join(value.split()) for value in params.get(name, [])]
        if name in CASE_INSENSITIVE_PARAMS:
            values = [value.lower() for value in values]
        values = [value for value in values if value] or (
            [SEARCH_DEFAULTS[name]] if name in SEARCH_DEFAULTS else []
        )
        if values:
            normalized[name] = values
    digest = hashlib.sha256(json.dumps([base_url, normalized]).encode()).hexdigest()
    return f"listing-search:{digest}"


def cached_search(key: str) -> dict[str, Any] | None:
    return cache.get(key)


def remember_search(key: str, data: dict[str, Any]) -> None:
    cache.set(key, data, SEARCH_TTL)
