"""The facts analytics keeps, one row per listing and per application, as their
latest events describe them; the figures are aggregates over these rows
(apps.analytics.selectors), so a replay from the first event rebuilds them exactly."""

from django.db import models


class ListingFact(models.Model):
    listing_id = models.UUIDField(primary_key=True)
    landlord_id = models.UUIDField(db_index=True)
    city = models.CharField(max_length=100)
    bedrooms = models.PositiveSmallIntegerField()
    rent_amount = models.DecimalField(max_digits=10, decimal_places=2)
    rent_currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20)
    # The first time it was published and the first time it was let: the weekly
    # counts and the time to let. Later re-publications do not move them.
    first_published_at = models.DateTimeField(null=True)
    let_at = models.DateTimeField(null=True)
    deleted = models.BooleanField(default=False)
    # The snapshot's updated_at: an older snapshot is stale and ignored.
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.city}, {self.bedrooms} bedrooms ({self.status})"


class ApplicationFact(models.Model):
    application_id = models.UUIDField(primary_key=True)
    listing_id = models.UUIDField()
    landlord_id = models.UUIDField(db_index=True)
    status = models.CharField(max_length=20)
    submitted_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"{self.application_id} ({self.status})"
