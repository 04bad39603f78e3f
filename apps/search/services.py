"""Search's writes: listings' events applied to the index, and the index rebuilt.

The consumer calls these inside the event's inbox transaction. Each locks the
listing's IndexedListing row, applies the event to its state
(apps.search.listing_state: the rules the reindex follows too), writes the row,
then the document at the row's new version. If Elasticsearch refuses, the
transaction rolls back with the row, the event is not acknowledged, and it is
applied again once Elasticsearch is back, so nothing accepted is lost.
"""

import uuid
from collections.abc import Callable
from dataclasses import asdict, fields
from datetime import datetime

from apps.listings.contracts import ListingPhoto, ListingSnapshot
from apps.search import index
from apps.search.listing_state import ListingState
from apps.search.models import IndexedListing

STATE = fields(ListingState)  # IndexedListing has a column of each name


def listing_apply(*, snapshot: ListingSnapshot) -> bool:
    """Index a published listing, remove any other. False if the event was stale:
    older than the snapshot applied, or about a deleted listing."""
    return _apply(snapshot.listing_id, lambda state: state.apply_snapshot(snapshot))


def listing_delete(*, listing_id: uuid.UUID, occurred_at: datetime) -> bool:
    """A deleted listing leaves the index for good: whatever event about it comes
    later (redelivered, or overtaken) finds the row deleted and is ignored."""
    return _apply(listing_id, lambda state: state.apply_deletion(occurred_at))


def photo_apply(*, listing_id: uuid.UUID, photo: ListingPhoto, occurred_at: datetime) -> bool:
    """photo_added, photo_updated: kept with the listing, shown while it is published."""
    return _apply(listing_id, lambda state: state.apply_photo(photo, occurred_at))


def photo_remove(*, listing_id: uuid.UUID, photo_id: uuid.UUID, occurred_at: datetime) -> bool:
    return _apply(listing_id, lambda state: state.apply_photo_removal(str(photo_id), occurred_at))


def _apply(listing_id: uuid.UUID, change: Callable[[ListingState], bool]) -> bool:
    # Locked: the two consumer replicas never hold one listing's partition at once,
    # but a rebalance can overlap them for a moment.
    row = IndexedListing.objects.select_for_update().filter(listing_id=listing_id).first()
    state = ListingState(**{f.name: getattr(row, f.name) for f in STATE}) if row else ListingState()
    was_searchable = state.searchable
    if not change(state):
        return False
    IndexedListing.objects.update_or_create(listing_id=listing_id, defaults=asdict(state))
    if not was_searchable and not state.searchable:
        return True  # not in the index before either (a draft, say): nothing to remove
    if state.searchable and state.document is None:
        # A row from before migration 0002 keeps no document: this photo shows with the
        # listing's next snapshot (or the replay docs/search.md asks for after it).
        return True
    with index.guarded():
        index.ensure_index()
        index.put(str(listing_id), state.version, state.indexed())
    return True


def read_model_reset() -> None:
    """For a replay from the first event (manage.py replay_events hearth.search):
    forget every listing and answer from a new, empty index."""
    IndexedListing.objects.all().delete()
    with index.guarded():
        fresh = index.new_index_name()
        index.create_index(fresh)
        index.delete_indices(index.swap_alias(fresh))
