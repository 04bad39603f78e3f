"""Where the analytics context's tables live on a Citus cluster."""

from kernel.db.citus import Distributed

PLAN = [
    Distributed("analytics.ListingFact", "listing_id"),
    Distributed("analytics.ApplicationFact", "application_id"),
]
