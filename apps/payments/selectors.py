"""Reads of the payments context."""

from django.db.models import QuerySet

from apps.payments.models import Payment, Payout


def payments_visible_to(*, user) -> QuerySet[Payment]:
    """A renter's own payments; a landlord's, for their listings; staff see all."""
    if user.is_staff:
        return Payment.objects.all()
    if user.role == "landlord":
        return Payment.objects.filter(landlord_id=user.id)
    return Payment.objects.filter(renter_id=user.id)


def payouts_of(*, landlord_id) -> QuerySet[Payout]:
    return Payout.objects.filter(landlord_id=landlord_id).order_by("-created_at", "id")
