"""What applications consumes: listings' events, into the ListingView read model.

Each handler runs in the inbox transaction (exactly once per event) and is
idempotent per listing state: snapshots older than the stored one are ignored.
"""

from apps.applications import services
from apps.listings.contracts import (
    EVENTS as LISTINGS_EVENTS,
)
from apps.listings.contracts import (
    LISTING_CREATED,
    LISTING_DELETED,
    LISTING_LET,
    LISTING_PUBLISHED,
    LISTING_UNPUBLISHED,
    LISTING_UPDATED,
    ListingChanged,
)
from kernel.events.consumer import ConsumerSpec
from kernel.events.envelope import Envelope


def on_listing_changed(envelope: Envelope) -> None:
    # Every listing event but listing_deleted carries the snapshot: one reader fits them all.
    services.listing_view_apply(snapshot=ListingChanged.from_payload(envelope.payload).listing)


def on_listing_let(envelope: Envelope) -> None:
    services.listing_view_let(snapshot=LISTING_LET.read(envelope).listing)


def on_listing_deleted(envelope: Envelope) -> None:
    services.listing_view_delete(listing_id=LISTING_DELETED.read(envelope).listing_id)


LISTINGS_READ_MODEL = ConsumerSpec(
    group_id="hearth.applications",
    topics=(LISTINGS_EVENTS.topic,),
    handlers={
        LISTING_CREATED.name: on_listing_changed,
        LISTING_UPDATED.name: on_listing_changed,
        LISTING_PUBLISHED.name: on_listing_changed,
        LISTING_UNPUBLISHED.name: on_listing_changed,
        LISTING_LET.name: on_listing_let,
        LISTING_DELETED.name: on_listing_deleted,
    },
    reset_read_model=services.listing_views_reset,
)
