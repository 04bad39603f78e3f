"""Reads of listings."""

import uuid

from django.contrib.postgres.search import SearchQuery
from django.db.models import Q, QuerySet

from apps.listings.contracts import ListingStatus
from apps.listings.models import SEARCH_CONFIG, Listing, Photo


def published_listings() -> QuerySet[Listing]:
    """What search shows, newest first; id breaks ties so pages never overlap."""
    return Listing.objects.filter(status=ListingStatus.PUBLISHED).order_by("-published_at", "-id")


def search_listings(queryset: QuerySet[Listing], text: str) -> QuerySet[Listing]:
    """Free-text search over title, description and city.

    PostgreSQL full-text search rather than trigram similarity: the words of a
    listing ("balconies", "renovated") are what people type, and stemming matches
    their other forms, which trigrams do not; it needs no extension (pg_trgm would
    have to be installed by the administrator: a context's role may create nothing
    outside its schema); and the GIN index over the
    stored search_vector column answers `@@` without reading the rows. The English
    configuration matches the product's language; typo tolerance, per-language
    analysis and relevance tuning are what the Elasticsearch search service takes
    over at scale. websearch_to_tsquery accepts anything a user types ("two bed
    -studio", quotes, stray symbols) without a syntax error.
    """
    query = SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")
    return queryset.filter(search_vector=query)


def landlord_listings(*, landlord_id: str) -> QuerySet[Listing]:
    """Every listing of one landlord, whatever its status, most recent first."""
    return Listing.objects.filter(landlord_id=landlord_id).order_by("-created_at", "-id")


def landlord_listing(*, landlord_id: str, listing_id: uuid.UUID) -> Listing | None:
    """One of the landlord's own listings, whatever its status."""
    return Listing.objects.filter(landlord_id=landlord_id, id=listing_id).first()


def listing_for_viewer(*, listing_id: uuid.UUID, viewer_id: str | None) -> Listing | None:
    """A published or let listing for anyone; a draft or unpublished one only for
    its landlord."""
    visible = Q(status__in=Listing.PUBLIC_STATUSES)
    if viewer_id is not None:
        visible |= Q(landlord_id=viewer_id)
    return Listing.objects.filter(visible, id=listing_id).first()


def listing_photos(*, listing: Listing) -> QuerySet[Photo]:
    """Every photo of the listing but failed ones, in order: the landlord's view."""
    return Photo.objects.filter(listing_id=listing.id).exclude(status=Photo.Status.FAILED)


def shown_photos(*, listing_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Photo]]:
    """The processed photos of each listing, in order, in one query for a page."""
    shown: dict[uuid.UUID, list[Photo]] = {listing_id: [] for listing_id in listing_ids}
    for photo in Photo.objects.filter(listing_id__in=listing_ids, status=Photo.Status.READY):
        shown[photo.listing_id].append(photo)
    return shown
