"""One listing as search knows it, and what each listings event does to it.

Both writers apply these rules: the consumer (apps.search.services, the state in
the listing's IndexedListing row, under its lock) and the reindex
(apps.search.rebuild, the state folded in memory). The same events in the same
order give the same state and the same document version, so after a reindex's
alias swap the live consumer's next write is above what the reindex wrote and is
not refused.

- `listing_version`, the newest snapshot applied (its updated_at in microseconds):
  an older snapshot is stale and changes nothing. Photo events carry no snapshot
  and are not checked against it: a listing's events share one Kafka partition,
  so they arrive in the order listings published them, and the inbox drops
  redeliveries.
- `version`, the document's external version in Elasticsearch: every event
  applied raises it to max(previous + 1, the event's time in microseconds), so
  it strictly increases per listing whatever the publisher's clocks said, and is
  never below a time (the versions written before photos were consumed).
- A deletion is final: nothing applies to a deleted listing.
- Photos are kept whatever the listing's status, so a photo uploaded to a draft
  shows once the listing is published.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from apps.listings.contracts import ListingPhoto, ListingSnapshot
from apps.search import index


@dataclass
class ListingState:
    listing_version: int = 0  # 0: no snapshot yet (a photo event came first)
    version: int = 0
    searchable: bool = False
    deleted: bool = False
    # The last snapshot's document while it is searchable, so a photo event can put
    # the whole document again without reading Elasticsearch.
    document: dict[str, Any] | None = None
    # Uploaded photos as the API's `images`, ordered by position.
    photos: list[dict[str, Any]] = field(default_factory=list)

    def apply_snapshot(self, snapshot: ListingSnapshot) -> bool:
        """False if stale (older than the snapshot applied) or the listing is deleted."""
        micros = index.epoch_micros(snapshot.updated_at)
        if self.deleted or micros < self.listing_version:
            return False
        self.listing_version = micros
        self.searchable = index.is_searchable(snapshot)
        self.document = index.document(snapshot) if self.searchable else None
        self._raise_version(micros)
        return True

    def apply_deletion(self, occurred_at: datetime) -> bool:
        if self.deleted:
            return False
        self.deleted, self.searchable, self.document, self.photos = True, False, None, []
        self._raise_version(index.epoch_micros(occurred_at))
        return True

    def apply_photo(self, photo: ListingPhoto, occurred_at: datetime) -> bool:
        """photo_added and photo_updated: the photo as it is now, added or replaced."""
        if self.deleted:
            return False
        image = index.image(photo)
        others = [kept for kept in self.photos if kept["id"] != image["id"]]
        # Ties (mid-reorder, one photo_updated per moved photo) fall back to the id.
        self.photos = sorted([*others, image], key=lambda kept: (kept["position"], kept["id"]))
        self._raise_version(index.epoch_micros(occurred_at))
        return True

    def apply_photo_removal(self, photo_id: str, occurred_at: datetime) -> bool:
        if self.deleted:
            return False
        self.photos = [kept for kept in self.photos if kept["id"] != photo_id]
        self._raise_version(index.epoch_micros(occurred_at))
        return True

    def indexed(self) -> dict[str, Any] | None:
        """The document Elasticsearch should hold now, or None: not in the index."""
        if self.document is None:
            return None
        return {**self.document, "images": self.photos}

    def _raise_version(self, micros: int) -> None:
        self.version = max(self.version + 1, micros)
