"""What search consumes: listings' events (their lifecycle and their photos), into
the listings index.

A new group (hearth.search) starts from the first event of hearth.listings.v1, so
the first start of search indexes every listing ever published. Each handler runs
in the inbox transaction (exactly once per event); stale events change nothing.
"""

from django.conf import settings

from apps.listings.contracts import EVENTS as LISTINGS_EVENTS
from apps.listings.contracts import (
    LISTING_CREATED,
    LISTING_DELETED,
    LISTING_LET,
    LISTING_PUBLISHED,
    LISTING_UNPUBLISHED,
    LISTING_UPDATED,
    PHOTO_ADDED,
    PHOTO_REMOVED,
    PHOTO_UPDATED,
    ListingChanged,
    PhotoChanged,
)
from apps.search import services
from kernel.events.consumer import ConsumerSpec
from kernel.events.envelope import Envelope


def on_listing_changed(envelope: Envelope) -> None:
    # Every listing event but listing_deleted carries the snapshot: one reader fits them all.
    services.listing_apply(snapshot=ListingChanged.from_payload(envelope.payload).listing)


def on_listing_deleted(envelope: Envelope) -> None:
    deleted = LISTING_DELETED.read(envelope)
    services.listing_delete(listing_id=deleted.listing_id, occurred_at=envelope.occurred_at)


def on_photo_changed(envelope: Envelope) -> None:
    # photo_added and photo_updated share a reader: the photo as it is after the change.
    changed = PhotoChanged.from_payload(envelope.payload)
    services.photo_apply(
        listing_id=changed.listing_id, photo=changed.photo, occurred_at=envelope.occurred_at
    )


def on_photo_removed(envelope: Envelope) -> None:
    removed = PHOTO_REMOVED.read(envelope)
    services.photo_remove(
        listing_id=removed.listing_id, photo_id=removed.photo_id, occurred_at=envelope.occurred_at
    )


def listings_index(group_id: str, topic: str = LISTINGS_EVENTS.topic) -> ConsumerSpec:
    """The consumer of `topic` (listings' own but in tests) as group `group_id`."""
    return ConsumerSpec(
        group_id=group_id,
        topics=(topic,),
        handlers={
            LISTING_CREATED.name: on_listing_changed,
            LISTING_UPDATED.name: on_listing_changed,
            LISTING_PUBLISHED.name: on_listing_changed,
            LISTING_UNPUBLISHED.name: on_listing_changed,
            LISTING_LET.name: on_listing_changed,
            LISTING_DELETED.name: on_listing_deleted,
            PHOTO_ADDED.name: on_photo_changed,
            PHOTO_UPDATED.name: on_photo_changed,
            PHOTO_REMOVED.name: on_photo_removed,
        },
        reset_read_model=services.read_model_reset,
    )


LISTINGS_INDEX = listings_index(f"hearth.{settings.HEARTH_SERVICE}")
