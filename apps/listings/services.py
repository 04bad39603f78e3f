"""Writes to listings. Each change runs in one transaction that holds the listing's
row lock, so concurrent changes of one listing serialise and their events leave
the outbox in commit order; each publishes the listing's full snapshot and, once
committed, retires the cached detail."""

import uuid
from collections.abc import Mapping
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.listings import caching
from apps.listings.contracts import (
    LISTING_CREATED,
    LISTING_DELETED,
    LISTING_LET,
    LISTING_PUBLISHED,
    LISTING_UNPUBLISHED,
    LISTING_UPDATED,
    ListingStatus,
)
from apps.listings.models import Listing, Photo
from kernel import errors
from kernel.events.outbox import publish_event
from kernel.events.types import EventType
from kernel.money import money

NO_SUCH_LISTING = "No such listing."


def listing_snapshot(listing: Listing) -> dict[str, Any]:
    """The listing as every listing event carries it (schemas/listing.json)."""
    return {
        "listing_id": str(listing.id),
        "landlord_id": str(listing.landlord_id),
        "status": listing.status,
        "title": listing.title,
        "description": listing.description,
        "street_address": listing.street_address,
        "city": listing.city,
        "postal_code": listing.postal_code,
        "country": listing.country,
        "latitude": _number(listing.latitude),
        "longitude": _number(listing.longitude),
        "monthly_rent": money(listing.rent_amount, listing.rent_currency),
        "deposit": money(listing.deposit_amount, listing.deposit_currency),
        "bedrooms": listing.bedrooms,
        "bathrooms": float(listing.bathrooms),
        "area_sqm": _number(listing.area_sqm),
        "amenities": list(listing.amenities),
        "pets_allowed": listing.pets_allowed,
        "available_from": listing.available_from.isoformat(),
        "photos": [dict(photo) for photo in listing.photos],
        "published_at": listing.published_at.isoformat() if listing.published_at else None,
        "updated_at": listing.updated_at.isoformat(),
    }


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _save(listing: Listing) -> None:
    """Raises errors.Invalid, with the model's messages per field, for a listing its
    rules refuse. Constraints and uniqueness are left to the database's CHECK
    constraints and primary key: validating them in Python would cost a query each."""
    try:
        listing.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        raise errors.Invalid(fields=error.message_dict) from error
    listing.save()


def _record(event: EventType, listing: Listing) -> None:
    publish_event(event, aggregate_id=listing.id, payload={"listing": listing_snapshot(listing)})
    transaction.on_commit(partial(caching.forget_listing, listing.id))


def _locked(*, listing_id: uuid.UUID, actor_id: str) -> Listing:
    """The actor's listing, row-locked; someone else's is as absent as a missing one."""
    listing = (
        Listing.objects.select_for_update().filter(id=listing_id, landlord_id=actor_id).first()
    )
    if listing is None:
        raise errors.NotFound(NO_SUCH_LISTING)
    return listing


def listing_create(*, landlord_id: str, data: Mapping[str, Any]) -> Listing:
    """A new draft; `data` holds validated listing fields (money as {amount, currency})."""
    with transaction.atomic():
        listing = Listing(landlord_id=landlord_id, status=ListingStatus.DRAFT, **data)
        _save(listing)
        _record(LISTING_CREATED, listing)
    return listing


def listing_update(*, listing_id: uuid.UUID, actor_id: str, changes: Mapping[str, Any]) -> Listing:
    """Apply the changes; a let listing is settled and can no longer be edited. A
    request that changes nothing publishes nothing."""
    with transaction.atomic():
        listing = _locked(listing_id=listing_id, actor_id=actor_id)
        if listing.status == ListingStatus.LET:
            raise errors.Conflict("A let listing can no longer be edited.")
        changed = {name for name, value in changes.items() if getattr(listing, name) != value}
        if not changed:
            return listing
        for name in changed:
            setattr(listing, name, changes[name])
        _save(listing)
        _record(LISTING_UPDATED, listing)
    return listing


def listing_publish(*, listing_id: uuid.UUID, actor_id: str) -> Listing:
    with transaction.atomic():
        listing = _locked(listing_id=listing_id, actor_id=actor_id)
        if listing.status not in (ListingStatus.DRAFT, ListingStatus.UNPUBLISHED):
            raise errors.Conflict(f"A {listing.status} listing cannot be published.")
        listing.status = ListingStatus.PUBLISHED
        listing.published_at = timezone.now()
        _save(listing)
        _record(LISTING_PUBLISHED, listing)
    return listing


def listing_unpublish(*, listing_id: uuid.UUID, actor_id: str) -> Listing:
    with transaction.atomic():
        listing = _locked(listing_id=listing_id, actor_id=actor_id)
        if listing.status != ListingStatus.PUBLISHED:
            raise errors.Conflict(f"A {listing.status} listing cannot be unpublished.")
        listing.status = ListingStatus.UNPUBLISHED
        _save(listing)
        _record(LISTING_UNPUBLISHED, listing)
    return listing


def listing_delete(*, listing_id: uuid.UUID, actor_id: str) -> None:
    with transaction.atomic():
        listing = _locked(listing_id=listing_id, actor_id=actor_id)
        publish_event(
            LISTING_DELETED,
            aggregate_id=listing.id,
            payload={"listing_id": str(listing.id), "landlord_id": str(listing.landlord_id)},
        )
        transaction.on_commit(partial(caching.forget_listing, listing.id))
        # Its photos' rows go with it; their objects, no longer named, are the sweep's
        # (photo_services.photos_sweep).
        Photo.objects.filter(listing_id=listing.id).delete()
        listing.delete()


def listing_mark_let(*, listing_id: uuid.UUID | str) -> Listing | None:
    """An application for the listing was approved: it is let and leaves search.

    Only a published or unpublished listing becomes let; for one already let, still
    a draft, or deleted since, the approval changes nothing, which also makes a
    replayed approval a no-op. Returns the listing if it changed."""
    with transaction.atomic():
        listing = Listing.objects.select_for_update().filter(id=listing_id).first()
        if listing is None or listing.status not in (
            ListingStatus.PUBLISHED,
            ListingStatus.UNPUBLISHED,
        ):
            return None
        listing.status = ListingStatus.LET
        _save(listing)
        _record(LISTING_LET, listing)
    return listing
