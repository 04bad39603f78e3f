"""Where the payments context's tables live on a Citus cluster.

Each table is distributed by its primary key, and each uniqueness rule is that key:
the ids of payments, charges, entries and payouts are derived from what makes them
unique (models.derived_id), so Citus can enforce every rule on a distributed table.

The aim is every table distributed by renter_id and colocated, so a renter's payment,
its charges, its ledger entries with their lines, and its keys share a shard (one-shard
transactions for every write). Every table already carries renter_id and refers to the
others by plain ids, never foreign keys, for that. What is missing: Citus needs the
distribution column in every primary key, i.e. composite keys (renter_id, id), which
kernel.db.citus's check cannot read yet (it reads `pk.column`; a Django
CompositePrimaryKey has `columns`). That is the next step, with a migration.
"""

from kernel.db.citus import Distributed, Local, Reference

PLAN = [
    Distributed("payments.Payment", "id"),
    Distributed("payments.Charge", "id"),
    Distributed("payments.Payout", "id"),
    Distributed("payments.LedgerEntry", "id"),
    Distributed("payments.LedgerLine", "id"),
    Distributed("payments.IdempotencyKey", "id"),
    Distributed("payments.PendingApproval", "application_id"),
    # Read wherever a payment opens, written by one consumer: copied to every node.
    Reference("payments.ListingTerms"),
    Local(
        "payments.ProviderEvent",
        "one row per provider webhook event, only to make a redelivery a no-op",
    ),
]
