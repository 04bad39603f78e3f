"""Where the applications context's tables live on a Citus cluster."""

from kernel.db.citus import Distributed

PLAN = [
    Distributed("applications.Application", "id"),
    Distributed("applications.ListingView", "listing_id"),
    # Keyed by the (listing, renter) pair, so the uniqueness rule is a primary key.
    Distributed("applications.ActiveApplicationClaim", "key"),
]
