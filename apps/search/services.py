"""Search's writes: listings' events applied to the index, and the index rebuilt.

The consumer calls these inside the event's inbox transaction. The version row is
written first and the document second: if Elasticsearch refuses, the transaction
rolls back with the row, the event is not acknowledged, and it is applied again
once Elasticsearch is back, so nothing accepted is lost.
"""

import uuid
from datetime import datetime

from apps.listings.contracts import ListingSnapshot
from apps.search import index
from apps.search.models import IndexedListing


def listing_apply(*, snapshot: ListingSnapshot) -> bool:
    """Index a published listing, remove any other. False if the event was stale:
    older than the version applied, or about a deleted listing."""
    searchable = index.is_searchable(snapshot)
    version = index.epoch_micros(snapshot.updated_at)
    was = _advance(snapshot.listing_id, version, searchable=searchable)
    if was is None:
        return False
    if not searchable and not was:
        return True  # not in the index before either (a draft, say): nothing to remove
    with index.guarded():
        index.ensure_index()
        index.put(
            str(snapshot.listing_id), version, index.document(snapshot) if searchable else None
        )
    return True


def listing_delete(*, listing_id: uuid.UUID, occurred_at: datetime) -> None:
    """A deleted listing leaves the index for good: whatever event about it comes
    later (redelivered, or overtaken) finds the row deleted and is ignored. Nothing
    follows a deletion, so it is never stale; its version is above any indexed one,
    whatever the publisher's clocks said."""
    row = IndexedListing.objects.select_for_update().filter(listing_id=listing_id).first()
    version = max(index.epoch_micros(occurred_at), row.version + 1 if row else 0)
    IndexedListing.objects.update_or_create(
        listing_id=listing_id, defaults={"version": version, "searchable": False, "deleted": True}
    )
    with index.guarded():
        index.ensure_index()
        index.put(str(listing_id), version, None)


def _advance(listing_id: uuid.UUID, version: int, *, searchable: bool) -> bool | None:
    """Store the listing's new version; whether it was searchable before, or None
    if this version is stale (and nothing was stored)."""
    # Locked: the two consumer replicas never hold one listing's partition at once,
    # but a rebalance can overlap them for a moment.
    row = IndexedListing.objects.select_for_update().filter(listing_id=listing_id).first()
    if row is not None and (row.deleted or row.version > version):
        return None
    IndexedListing.objects.update_or_create(
        listing_id=listing_id,
        defaults={"version": version, "searchable": searchable},
    )
    return row is not None and row.searchable


def read_model_reset() -> None:
    """For a replay from the first event (manage.py replay_events hearth.search):
    forget every version and answer from a new, empty index."""
    IndexedListing.objects.all().delete()
    with index.guarded():
        fresh = index.new_index_name()
        index.create_index(fresh)
        index.delete_indices(index.swap_alias(fresh))
