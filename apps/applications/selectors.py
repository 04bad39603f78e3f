"""Reads of the applications context. Each user sees only their side of an
application: a renter their own, a landlord those for their listings."""

from django.db.models import QuerySet

from apps.applications.models import Application
from kernel.auth.authentication import Principal


def applications_visible_to(*, user: Principal) -> QuerySet[Application]:
    if user.is_renter:
        return Application.objects.filter(renter_id=user.id)
    if user.is_landlord:
        return Application.objects.filter(landlord_id=user.id)
    return Application.objects.none()
