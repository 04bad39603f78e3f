"""Analytics' writes: listings' and applications' events folded into their facts.

Each runs in the event's inbox transaction (exactly once per event) and is
order-proof: a listing's older snapshot is ignored, an application leaves
`submitted` once and never goes back, and a deleted listing stays deleted.
"""

import uuid
from datetime import datetime

from apps.analytics.models import ApplicationFact, ListingFact
from apps.applications.contracts import ApplicationSnapshot, ApplicationStatus
from apps.listings.contracts import ListingSnapshot, ListingStatus


def listing_fact_apply(*, snapshot: ListingSnapshot, occurred_at: datetime) -> None:
    fact = ListingFact.objects.select_for_update().filter(pk=snapshot.listing_id).first()
    if fact is not None and (fact.deleted or fact.updated_at > snapshot.updated_at):
        return
    fact = fact or ListingFact(listing_id=snapshot.listing_id)
    fact.landlord_id = snapshot.landlord_id
    fact.city = snapshot.city.strip()
    fact.bedrooms = snapshot.bedrooms
    fact.rent_amount = snapshot.monthly_rent.amount
    fact.rent_currency = snapshot.monthly_rent.currency
    fact.status = snapshot.status
    fact.updated_at = snapshot.updated_at
    if snapshot.status == ListingStatus.PUBLISHED and fact.first_published_at is None:
        fact.first_published_at = snapshot.published_at or occurred_at
    if snapshot.status == ListingStatus.LET and fact.let_at is None:
        fact.let_at = snapshot.updated_at  # when listings made it let
    fact.save()


def listing_fact_delete(*, listing_id: uuid.UUID) -> None:
    # Its past stays counted (it was published, maybe let); it only leaves the market.
    ListingFact.objects.filter(pk=listing_id).update(deleted=True)


def application_fact_apply(*, snapshot: ApplicationSnapshot) -> None:
    fact = ApplicationFact.objects.select_for_update().filter(pk=snapshot.application_id).first()
    if fact is not None and fact.status != ApplicationStatus.SUBMITTED:
        return  # decided, withdrawn or closed: final
    ApplicationFact.objects.update_or_create(
        application_id=snapshot.application_id,
        defaults={
            "listing_id": snapshot.listing_id,
            "landlord_id": snapshot.landlord_id,
            "status": snapshot.status,
            "submitted_at": snapshot.submitted_at,
            "decided_at": snapshot.decided_at,
        },
    )


def facts_reset() -> None:
    """For a replay from the first event (manage.py replay_events hearth.analytics)."""
    ListingFact.objects.all().delete()
    ApplicationFact.objects.all().delete()
