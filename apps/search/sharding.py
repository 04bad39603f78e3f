"""Where the search context's tables live on a Citus cluster."""

from kernel.db.citus import Distributed

PLAN = [Distributed("search.IndexedListing", "listing_id")]
