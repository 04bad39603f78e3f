"""What search consumes: listings' events (their lifecycle and their photos), into
the listings index.

A new group (hearth.search) starts from the first event of hearth.listings.v1, so
the first start of search indexes every listing ever published. Each handler runs
in the inbox transaction (exactly once per event); stale events change nothing.
"""

from django.conf import settings

from apps.listings.contracts import EVENTS as LISTINGS_EVENTS
from apps.listings.contracts import ListingChanged, ListingDeleted, PhotoChanged, PhotoRemoved
from apps.search import services
from kernel.events.consumer import ConsumerSpec
from kernel.events.envelope import Envelope


def on_listing_changed(envelope: Envelope) -> None:
    services.listing_apply(snapshot=ListingChanged.from_payload(envelope.payload).listing)


def on_listing_deleted(envelope: Envelope) -> None:
    deleted = ListingDeleted.from_payload(envelope.payload)
    services.listing_delete(listing_id=deleted.listing_id, occurred_at=envelope.occurred_at)


def on_photo_changed(envelope: Envelope) -> None:
    changed = PhotoChanged.from_payload(envelope.payload)
    services.photo_apply(
        listing_id=changed.listing_id, photo=changed.photo, occurred_at=envelope.occurred_at
    )


def on_photo_removed(envelope: Envelope) -> None:
    removed = PhotoRemoved.from_payload(envelope.payload)
    services.photo_remove(
        listing_id=removed.listing_id, photo_id=removed.photo_id, occurred_at=envelope.occurred_at
    )


def listings_index(group_id: str, topic: str = LISTINGS_EVENTS.topic) -> ConsumerSpec:
    """The consumer of `topic` (listings' own but in tests) as group `group_id`."""
    return ConsumerSpec(
        group_id=group_id,
        topics=(topic,),
        # Every listings event, by what it reports (a listing's snapshot, its deletion,
        # a photo as it is after the change, a photo's removal): one listings adds with
        # one of these readers is indexed without a change here.
        handlers=LISTINGS_EVENTS.handlers_by_reader(
            {
                ListingChanged: on_listing_changed,
                ListingDeleted: on_listing_deleted,
                PhotoChanged: on_photo_changed,
                PhotoRemoved: on_photo_removed,
            }
        ),
        reset_read_model=services.read_model_reset,
    )


LISTINGS_INDEX = listings_index(f"hearth.{settings.HEARTH_SERVICE}")
