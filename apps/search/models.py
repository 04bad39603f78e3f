"""Search's own bookkeeping in PostgreSQL; the documents themselves live in
Elasticsearch (apps.search.index)."""

from django.db import models


class IndexedListing(models.Model):
    """What the consumer knows of a listing: apps.search.listing_state.ListingState,
    a column per field (the rules that change it are there).

    Written in the inbox transaction of each event, under the row's lock, before
    the index is. The row, not Elasticsearch, is the guard: Elasticsearch keeps a
    delete's version only for a minute, and a photo event puts the whole document
    again from the row.
    """

    listing_id = models.UUIDField(primary_key=True)
    # Microseconds since the epoch: the newest snapshot's updated_at applied.
    listing_version = models.BigIntegerField(default=0)
    # The document's external version in Elasticsearch, raised by every event applied.
    version = models.BigIntegerField()
    searchable = models.BooleanField()
    deleted = models.BooleanField(default=False)
    document = models.JSONField(null=True)
    photos = models.JSONField(default=list)

    def __str__(self) -> str:
        state = "deleted" if self.deleted else "searchable" if self.searchable else "hidden"
        return f"{self.listing_id} v{self.version} ({state})"
