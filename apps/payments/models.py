"""The payments context's tables.

Money is two columns, a Decimal amount and its ISO currency, never a float. The
ledger (LedgerEntry, LedgerLine) is append-only and balanced: the database itself
refuses an entry whose lines do not sum to zero per currency, and any UPDATE or
DELETE of either table (migration 0002). Balances are sums over lines, never stored.

Rows refer to each other by plain ids, never foreign keys, and every renter's table
carries renter_id, which Citus distributes them by (sharding.py): in the database
their primary keys are (renter_id, <the pk here>) (migration 0003), while the models
keep one-column keys for Django's admin.
"""

import uuid
from decimal import Decimal

from django.db import models
from django.utils import timezone

from apps.payments.contracts import PaymentStatus
from kernel.db.choices import choices_of

AMOUNT = {"max_digits": 12, "decimal_places": 2}
# Ids derived from what makes a row unique (the payment of an application, the entry of
# a kind for a payment): the primary key is then the uniqueness rule, which the
# database's (renter_id, id) key enforces per renter, and the derivation makes it hold
# across renters (sharding.py says why, table by table).
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://hearth.example/payments")


def derived_id(*parts: object) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, ":".join(str(part) for part in parts))


class ListingTerms(models.Model):
    """What a listing asks, from listings' events: the read model that prices a
    move-in payment, since application_approved carries no rent or deposit."""

    listing_id = models.UUIDField(primary_key=True)
    landlord_id = models.UUIDField()
    title = models.CharField(max_length=120)
    monthly_rent_amount = models.DecimalField(**AMOUNT)
    deposit_amount = models.DecimalField(**AMOUNT)
    currency = models.CharField(max_length=3)
    # The snapshot's own updated_at: an older event is stale and ignored.
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.title}: {self.monthly_rent_amount} {self.currency}"


class PendingApproval(models.Model):
    """An approval heard before its listing's terms: the payment opens when they arrive."""

    application_id = models.UUIDField(primary_key=True)
    listing_id = models.UUIDField(db_index=True)
    renter_id = models.UUIDField()
    landlord_id = models.UUIDField()
    listing_title = models.CharField(max_length=120)
    approved_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"approval {self.application_id}, waiting for listing {self.listing_id}"


class Payment(models.Model):
    """A renter's move-in payment: the first month's rent plus the deposit. Its id is
    derived from the application's, so an approval opens one payment at most."""

    id = models.UUIDField(primary_key=True)
    renter_id = models.UUIDField()
    landlord_id = models.UUIDField()
    application_id = models.UUIDField()
    listing_id = models.UUIDField()
    listing_title = models.CharField(max_length=120)
    status = models.CharField(
        max_length=20, choices=choices_of(PaymentStatus), default=PaymentStatus.DUE
    )
    currency = models.CharField(max_length=3)
    rent_amount = models.DecimalField(**AMOUNT)
    deposit_amount = models.DecimalField(**AMOUNT)
    fee_amount = models.DecimalField(**AMOUNT)
    due_date = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)
    deposit_refunded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["renter_id", "-created_at"], name="payment_renter"),
            models.Index(fields=["landlord_id", "-created_at"], name="payment_landlord"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rent_amount__gt=0, deposit_amount__gte=0, fee_amount__gte=0)
                & models.Q(fee_amount__lte=models.F("rent_amount")),
                name="payment_amounts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.listing_title}: {self.total} {self.currency} ({self.status})"

    @property
    def total(self) -> Decimal:
        return self.rent_amount + self.deposit_amount


class Charge(models.Model):
    """One attempt to charge a payment at the provider: its id is derived from the
    payment and the client's Idempotency-Key."""

    class Status(models.TextChoices):
        PROCESSING = "processing"  # sent, outcome unknown: a webhook or reconciliation settles it
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    id = models.UUIDField(primary_key=True)
    renter_id = models.UUIDField()
    payment_id = models.UUIDField(db_index=True)
    status = models.CharField(max_length=20, choices=Status.choices)
    amount = models.DecimalField(**AMOUNT)
    currency = models.CharField(max_length=3)
    payment_method = models.CharField(max_length=100)
    # Sent as Stripe's Idempotency-Key: every retry of this charge is the same charge.
    provider_key = models.CharField(max_length=100)
    provider_intent_id = models.CharField(max_length=100, blank=True, db_index=True)
    decline_code = models.CharField(max_length=60, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # At most one successful charge a payment; with renter_id, which Citus
            # needs in every unique rule (a payment has one renter, so it is the same rule).
            models.UniqueConstraint(
                fields=["renter_id", "payment_id"],
                condition=models.Q(status="succeeded"),
                name="charge_one_success",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} ({self.status})"


class IdempotencyKey(models.Model):
    """A client's Idempotency-Key and the answer it got, replayed for a repeat
    (apps.payments.idempotency, which also says how parallel repeats serialise)."""

    # sha256 of (renter, key): the primary key is the uniqueness rule.
    id = models.CharField(max_length=64, primary_key=True)
    renter_id = models.UUIDField()
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)  # sha256 of method, path and body
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.key} -> {self.response_status}"


class ProviderEvent(models.Model):
    """A provider webhook event already handled: a redelivery is a no-op."""

    event_id = models.CharField(max_length=100, primary_key=True)
    event_type = models.CharField(max_length=100)
    received_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class Payout(models.Model):
    """The landlord's part of a paid payment, scheduled for payout: one per payment,
    whose id it shares."""

    id = models.UUIDField(primary_key=True)
    renter_id = models.UUIDField()
    landlord_id = models.UUIDField(db_index=True)
    amount = models.DecimalField(**AMOUNT)
    currency = models.CharField(max_length=3)
    scheduled_for = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} on {self.scheduled_for}"


class Account(models.TextChoices):
    """The ledger's accounts. Provider cash is the money held at the provider: the
    other side of what the renter pays in and what is refunded out."""

    RENTER_RECEIVABLE = "renter_receivable"
    DEPOSITS_HELD = "deposits_held"
    LANDLORD_PAYABLE = "landlord_payable"
    PLATFORM_FEES = "platform_fees"
    PROVIDER_CASH = "provider_cash"


class LedgerEntry(models.Model):
    """One business event in the ledger; at most one of each kind per payment, since
    its id is derived from the two."""

    class Kind(models.TextChoices):
        PAYMENT_OPENED = "payment_opened"  # the renter owes rent + deposit
        PAYMENT_SETTLED = "payment_settled"  # the provider collected it
        DEPOSIT_REFUNDED = "deposit_refunded"

    id = models.UUIDField(primary_key=True)
    renter_id = models.UUIDField()
    payment_id = models.UUIDField(db_index=True)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "ledger entries"

    def __str__(self) -> str:
        return f"{self.kind} of {self.payment_id}"


class LedgerLine(models.Model):
    """A signed amount on one account: debits positive, credits negative."""

    id = models.BigAutoField(primary_key=True)
    renter_id = models.UUIDField()
    entry_id = models.UUIDField(db_index=True)
    account = models.CharField(max_length=30, choices=Account.choices)
    # Whose account: the renter, the landlord; null for the platform's own.
    party_id = models.UUIDField(null=True, blank=True)
    amount = models.DecimalField(**AMOUNT)
    currency = models.CharField(max_length=3)

    class Meta:
        indexes = [models.Index(fields=["account", "party_id"], name="ledger_line_account")]
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="ledger_line_nonzero"),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.amount} {self.currency}"
