"""Reads of the notifications context."""

from django.db.models import QuerySet

from apps.notifications.models import Notification


def notifications_of(*, recipient_id: str) -> QuerySet[Notification]:
    """A user's notifications, newest first."""
    return Notification.objects.filter(recipient_id=recipient_id).order_by("-created_at", "-id")
