"""The applications context's tables.

Listings are never queried across the boundary: ListingView is this context's own
copy of what it needs from each listing, kept up to date from listings' events.
"""

import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from apps.applications.contracts import ApplicationStatus, ClosedReason
from apps.listings.contracts import ListingStatus
from kernel.db.choices import choices_of

MAX_OCCUPANTS = 20
MAX_MESSAGE_LENGTH = 2000
# A fixed namespace, so the claim key of a (listing, renter) pair is the same
# on every node and in every deploy.
CLAIM_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://hearth.example/applications/active-claim")


class ListingView(models.Model):
    """A listing as its latest event described it (the read model of listings)."""

    listing_id = models.UUIDField(primary_key=True)
    landlord_id = models.UUIDField()
    title = models.CharField(max_length=120)
    status = models.CharField(max_length=20, choices=choices_of(ListingStatus))
    available_from = models.DateField()
    monthly_rent_amount = models.DecimalField(max_digits=10, decimal_places=2)
    monthly_rent_currency = models.CharField(max_length=3)
    # The snapshot's own updated_at: an event older than this is stale and ignored.
    updated_at = models.DateTimeField()
    # listing_deleted carries no snapshot, so deletion is a flag, and final.
    deleted = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.title} ({self.status}{', deleted' if self.deleted else ''})"


class Application(models.Model):
    """A renter's application for a listing, decided by the listing's landlord."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    listing_id = models.UUIDField()
    landlord_id = models.UUIDField()
    listing_title = models.CharField(max_length=120)
    renter_id = models.UUIDField()
    renter_name = models.CharField(max_length=150, blank=True)
    status = models.CharField(
        max_length=20, choices=choices_of(ApplicationStatus), default=ApplicationStatus.SUBMITTED
    )
    closed_reason = models.CharField(max_length=30, choices=choices_of(ClosedReason), blank=True)
    move_in_date = models.DateField()
    occupants = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_OCCUPANTS)]
    )
    monthly_income_amount = models.DecimalField(max_digits=10, decimal_places=2)
    monthly_income_currency = models.CharField(max_length=3)
    message = models.TextField(max_length=MAX_MESSAGE_LENGTH, blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            # The two list queries: a renter's own applications, a landlord's inbox.
            models.Index(fields=["renter_id", "-submitted_at"], name="application_renter"),
            models.Index(fields=["landlord_id", "-submitted_at"], name="application_landlord"),
            # The approval rule and the listing consumer: a listing's open applications.
            models.Index(fields=["listing_id", "status"], name="application_listing_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(occupants__gte=1, occupants__lte=MAX_OCCUPANTS),
                name="application_occupants_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.renter_name or self.renter_id} for {self.listing_title} ({self.status})"


def claim_key(*, listing_id: uuid.UUID | str, renter_id: uuid.UUID | str) -> uuid.UUID:
    return uuid.uuid5(CLAIM_NAMESPACE, f"{listing_id}/{renter_id}")


class ActiveApplicationClaim(models.Model):
    """One row per (listing, renter) pair with an active application.

    "One active application per renter and listing" is a uniqueness rule without
    Application's distribution column (id), which Citus cannot enforce; this
    table's primary key is the pair itself (uuid5), so the rule is a primary-key
    conflict on whichever shard holds the pair.
    """

    key = models.UUIDField(primary_key=True)
    application_id = models.UUIDField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"claim {self.key} by {self.application_id}"
