"""Listings are distributed by their id: detail reads and every write name one
listing, so each touches one shard. Search and a landlord's own list fan out to
every shard, which is fine for the latter (a landlord's few rows, by index) and
is what the Elasticsearch search service takes over for the former."""

from kernel.db.citus import Distributed

PLAN = [
    Distributed("listings.Listing", "id"),
    # By their own id: a listing's photos are a handful of rows, read by index.
    Distributed("listings.Photo", "id"),
]
