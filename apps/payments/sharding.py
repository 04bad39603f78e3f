"""Where the payments context's tables live on a Citus cluster: every table that
carries renter_id is distributed by it, colocated with payments_payment, so a renter's
payment, its charges, its ledger entries with their lines, its payout, its
Idempotency-Keys and a pending approval share a shard, and each write's transaction
stays on that shard when its statements name the renter.

Citus needs the distribution column in every primary key and unique rule. The models
keep their one-column primary keys (Django's admin, the read-only ledger admin
included, does not support a CompositePrimaryKey); migration 0003 makes the
database's key (renter_id, <the model's pk>), with a plain index on the model's pk
for lookups by it, and each placement declares that key (kernel.db.citus:
check_schema holds the database to it). Their one other unique rule, a payment's
single successful charge, is on (renter_id, payment_id).

Why (renter_id, id) unique still means id unique, table by table: an id equal across
two renters would need one of
- Payment: derived_id("payment", application_id). An application has one renter,
  which applications never changes, and the approval's renter is the one copied here;
  services._open also looks for the id under any renter before opening.
- Charge: derived_id("charge", payment_id, Idempotency-Key); LedgerEntry:
  derived_id("entry", payment_id, kind); Payout: the payment's id. Each is derived
  from a payment, whose renter it copies (charge_begin finds the payment by renter).
- IdempotencyKey: sha256 of (renter, key): the renter is in the id itself.
- LedgerLine: a bigint sequence, unique whatever the renter (on Citus, each node
  draws from its own range of it).
- PendingApproval (renter_id, application_id): as Payment, one renter an application.
So a clash across renters takes a uuid5 or sha256 collision, or another context
sending one application with two renters (which _open catches for the payment, and
so for what derives from it). The database would keep both rows, not refuse the
second: the derivations above, not a constraint, rule it out, and a new table or id
scheme must show the same before it joins this plan.

Statements reach one shard only when they name the renter; those that cannot are
listed in docs/payments.md, "Sharding".
"""

from kernel.db.citus import Distributed, Local, Reference

PAYMENT = "payments.Payment"
RENTER_AND_ID = ("renter_id", "id")

PLAN = [
    Distributed(PAYMENT, "renter_id", primary_key=RENTER_AND_ID),
    Distributed("payments.Charge", "renter_id", PAYMENT, primary_key=RENTER_AND_ID),
    Distributed("payments.Payout", "renter_id", PAYMENT, primary_key=RENTER_AND_ID),
    Distributed("payments.LedgerEntry", "renter_id", PAYMENT, primary_key=RENTER_AND_ID),
    Distributed("payments.LedgerLine", "renter_id", PAYMENT, primary_key=RENTER_AND_ID),
    Distributed("payments.IdempotencyKey", "renter_id", PAYMENT, primary_key=RENTER_AND_ID),
    Distributed(
        "payments.PendingApproval",
        "renter_id",
        PAYMENT,
        primary_key=("renter_id", "application_id"),
    ),
    # Read wherever a payment opens, written by one consumer: copied to every node.
    Reference("payments.ListingTerms"),
    Local(
        "payments.ProviderEvent",
        "one row per provider webhook event, only to make a redelivery a no-op",
    ),
]
