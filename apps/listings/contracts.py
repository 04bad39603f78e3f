"""The listings context's published contract: the only module other contexts may import.

EVENTS is the catalogue of the events listings publishes (topic hearth.listings.v1),
each declared here with a JSON Schema per version in apps/listings/schemas/, and the
typed readers of their payloads that consumers use. ListingStatus is the one list of
a listing's statuses. Models, services and selectors stay private to the context.
"""

import datetime
import uuid
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from kernel.events.readers import Money, PayloadReader
from kernel.events.types import EventCatalogue


class ListingStatus(StrEnum):
    """A draft until published; in search while published; out of it once unpublished
    or let (listing.json's `status`)."""

    DRAFT = "draft"
    PUBLISHED = "published"
    UNPUBLISHED = "unpublished"
    LET = "let"


@dataclass(frozen=True)
class Photo(PayloadReader):
    url: str
    caption: str = ""


@dataclass(frozen=True)
class ListingSnapshot(PayloadReader):
    """A listing as it is after the change an event reports (schemas/listing.json)."""

    listing_id: uuid.UUID
    landlord_id: uuid.UUID
    status: ListingStatus
    title: str
    description: str
    street_address: str
    city: str
    postal_code: str
    country: str
    latitude: float | None
    longitude: float | None
    monthly_rent: Money
    deposit: Money
    bedrooms: int
    bathrooms: float
    area_sqm: float | None
    amenities: tuple[str, ...]
    pets_allowed: bool
    available_from: datetime.date
    photos: tuple[Photo, ...]
    published_at: datetime.datetime | None
    updated_at: datetime.datetime


@dataclass(frozen=True)
class ListingChanged(PayloadReader):
    """The payload of every listing event but listing_deleted: the listing after it."""

    listing: ListingSnapshot


@dataclass(frozen=True)
class ListingDeleted(PayloadReader):
    listing_id: uuid.UUID
    landlord_id: uuid.UUID


@dataclass(frozen=True)
class PhotoVariant(PayloadReader):
    """One rendering of a photo: its object key, its public address, its size."""

    key: str
    url: str
    width: int
    height: int


@dataclass(frozen=True)
class PhotoVariants(PayloadReader):
    thumbnail: PhotoVariant
    card: PhotoVariant
    full: PhotoVariant


@dataclass(frozen=True)
class ListingPhoto(PayloadReader):
    """A shown photo of a listing; `position` orders a listing's photos."""

    photo_id: uuid.UUID
    position: int
    caption: str
    width: int
    height: int
    variants: PhotoVariants


@dataclass(frozen=True)
class PhotoChanged(PayloadReader):
    """photo_added and photo_updated: the photo as it is after the change."""

    listing_id: uuid.UUID
    landlord_id: uuid.UUID
    photo: ListingPhoto


@dataclass(frozen=True)
class PhotoRemoved(PayloadReader):
    listing_id: uuid.UUID
    landlord_id: uuid.UUID
    photo_id: uuid.UUID


EVENTS = EventCatalogue(source="listings", schema_dir=Path(__file__).parent / "schemas")
LISTING_CREATED = EVENTS.declare(
    "listing_created", version=1, aggregate_type="listing", reader=ListingChanged
)
LISTING_UPDATED = EVENTS.declare(
    "listing_updated", version=1, aggregate_type="listing", reader=ListingChanged
)
LISTING_PUBLISHED = EVENTS.declare(
    "listing_published", version=1, aggregate_type="listing", reader=ListingChanged
)
LISTING_UNPUBLISHED = EVENTS.declare(
    "listing_unpublished", version=1, aggregate_type="listing", reader=ListingChanged
)
LISTING_LET = EVENTS.declare(
    "listing_let", version=1, aggregate_type="listing", reader=ListingChanged
)
LISTING_DELETED = EVENTS.declare(
    "listing_deleted", version=1, aggregate_type="listing", reader=ListingDeleted
)
# A listing's uploaded photos, keyed by the listing so they keep order with its events.
PHOTO_ADDED = EVENTS.declare(
    "photo_added", version=1, aggregate_type="listing", reader=PhotoChanged
)
PHOTO_UPDATED = EVENTS.declare(
    "photo_updated", version=1, aggregate_type="listing", reader=PhotoChanged
)
PHOTO_REMOVED = EVENTS.declare(
    "photo_removed", version=1, aggregate_type="listing", reader=PhotoRemoved
)
