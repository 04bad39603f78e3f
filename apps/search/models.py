"""Search's own bookkeeping in PostgreSQL; the documents themselves live in
Elasticsearch (apps.search.index)."""

from django.db import models


class IndexedListing(models.Model):
    """The newest version of a listing the consumer has applied, per listing.

    Written in the inbox transaction of each event, before the index is: an event
    older than the stored version is stale and changes nothing, and a deleted
    listing stays deleted whatever arrives after its deletion (Elasticsearch keeps
    a delete's version only for a minute, so it cannot be the guard).
    """

    listing_id = models.UUIDField(primary_key=True)
    # Microseconds since the epoch: the snapshot's updated_at, or the deletion's
    # occurred_at; also the document's external version in Elasticsearch.
    version = models.BigIntegerField()
    searchable = models.BooleanField()
    deleted = models.BooleanField(default=False)

    def __str__(self) -> str:
        state = "deleted" if self.deleted else "searchable" if self.searchable else "hidden"
        return f"{self.listing_id} v{self.version} ({state})"
