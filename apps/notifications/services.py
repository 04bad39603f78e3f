"""Writes of the notifications context: the recipient directory, and each
notification from its creation to the email its recipient receives."""

import logging
import smtplib
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from apps.notifications.models import Notification, Recipient
from apps.notifications.rendering import render_body, render_subject
from kernel.events.envelope import Envelope
from kernel.http import ServiceClient, ServiceUnavailable

logger = logging.getLogger(__name__)

# Fixed forever: notification ids are derived from it.
NOTIFICATION_NAMESPACE = uuid.UUID("5d0f3c52-8a43-4a53-9f5e-4f7b7a8f1c2e")
# Events of different topics arrive in any order, so a recipient may be missing for
# a while; one still unknown after this never registered, and waiting is pointless.
RECIPIENT_WAIT = timedelta(days=1)
# Longer than a live task ever leaves its pending row untouched (retries back off
# to at most 15 s), so a row this stale has lost its task.
STALE_AFTER = timedelta(seconds=60)
SWEEP_BATCH = 500


class SendDeferred(Exception):
    """The email cannot go out now (SMTP, the directory or accounts is not ready): retry later."""


class _Cancelled(Exception):
    """The email must never go out (an expired reset link, an unknown recipient)."""


def recipient_upsert(
    *, user_id: str, email: str, full_name: str, role: str, as_of: datetime
) -> None:
    """The directory keeps the newest data: anything older than what it holds is ignored."""
    values = {"email": email, "full_name": full_name, "role": role, "updated_at": as_of}
    _, created = Recipient.objects.get_or_create(user_id=user_id, defaults=values)
    if not created:
        Recipient.objects.filter(user_id=user_id, updated_at__lte=as_of).update(**values)


def recipients_reset() -> None:
    """Empties the directory before a replay from the start. Notifications stay:
    their ids make every replayed event a no-op rather than a second email to everyone."""
    Recipient.objects.all().delete()


def notification_id_for(*, event_id: uuid.UUID, recipient_id: str, kind: str) -> uuid.UUID:
    return uuid.uuid5(NOTIFICATION_NAMESPACE, f"{event_id}/{recipient_id}/{kind}")


def notification_create(
    *, envelope: Envelope, recipient_id: str, kind: str, context: dict[str, Any]
) -> tuple[Notification, bool]:
    """The notification `envelope` owes `recipient_id`, created unless it exists."""
    return Notification.objects.get_or_create(
        id=notification_id_for(event_id=envelope.event_id, recipient_id=recipient_id, kind=kind),
        defaults={
            "recipient_id": recipient_id,
            "kind": kind,
            "event_id": envelope.event_id,
            "event_type": envelope.event_type,
            "event_occurred_at": envelope.occurred_at,
            "context": context,
        },
    )


def notification_send(*, notification_id: uuid.UUID) -> None:
    """Email a pending notification, or cancel it; raises SendDeferred, after
    recording the attempt, when it has to wait.

    The row stays locked from the check to the mark, SMTP included, so two tasks
    for one notification (a redelivery, a sweep) cannot both send it: the second
    waits, then finds it sent.
    """
    deferred = None
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None or notification.status != Notification.Status.PENDING:
            return
        notification.attempts += 1
        try:
            _email(notification)
        except _Cancelled as reason:
            notification.status = Notification.Status.CANCELLED
            notification.last_error = str(reason)
        except SendDeferred as error:
            notification.last_error = str(error)
            deferred = error
        else:
            notification.status = Notification.Status.SENT
            notification.sent_at = timezone.now()
        notification.save(
            update_fields=["status", "attempts", "last_error", "sent_at", "updated_at"]
        )
    if deferred is not None:
        raise deferred
    if notification.status == Notification.Status.SENT:
        latency = notification.sent_at - notification.event_occurred_at
        logger.info(
            "notification sent",
            extra={
                "notification_id": str(notification.id),
                "kind": notification.kind,
                "attempts": notification.attempts,
                "latency_ms": round(latency.total_seconds() * 1000),
            },
        )


def notifications_claim_stale() -> list[uuid.UUID]:
    """Pending notifications whose task was lost (a broker or worker crash): none
    touched them for STALE_AFTER. Claiming them touches them, so the next sweeps
    leave them to the task about to be enqueued."""
    now = timezone.now()
    stale = Notification.objects.filter(
        status=Notification.Status.PENDING, updated_at__lt=now - STALE_AFTER
    )
    ids = list(stale.order_by("updated_at").values_list("id", flat=True)[:SWEEP_BATCH])
    stale.filter(id__in=ids).update(updated_at=now)
    return ids


def _email(notification: Notification) -> None:
    recipient = Recipient.objects.filter(user_id=notification.recipient_id).first()
    if recipient is None:
        if notification.created_at < timezone.now() - RECIPIENT_WAIT:
            raise _Cancelled(f"recipient unknown to the directory after {RECIPIENT_WAIT}")
        raise SendDeferred("recipient not in the directory yet")
    send_time: dict[str, Any] = {"recipient": recipient}
    if notification.kind == Notification.Kind.PASSWORD_RESET:
        send_time["link"] = _password_reset_link(notification.context["request_id"])
    message = EmailMessage(
        subject=render_subject(notification),
        body=render_body(notification, **send_time),
        to=[recipient.email],
        headers={
            # The same Message-ID on a duplicate lets mail clients drop it.
            "Message-ID": f"<{notification.id}@notifications.hearth>",
            "X-Hearth-Notification-Id": str(notification.id),
            "X-Hearth-Event-Id": str(notification.event_id),
            "X-Hearth-Event-Occurred-At": notification.event_occurred_at.isoformat(),
        },
    )
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as error:
        raise SendDeferred(f"SMTP: {error!r}") from error


def _password_reset_link(request_id: str) -> str:
    """Issued by accounts at send time, a new one for each email: events are kept
    forever, so the link is not in them, and accounts keeps only its hash. A POST,
    never retried blindly: a second call voids the first call's link."""
    try:
        response = ServiceClient("accounts").post(
            f"/api/v1/accounts/internal/password-resets/{request_id}/link"
        )
    except ServiceUnavailable as error:
        raise SendDeferred(str(error)) from error
    if response.status_code in (404, 410):
        raise _Cancelled(f"reset link expired or used (accounts answered {response.status_code})")
    if response.status_code != 200:
        raise SendDeferred(f"accounts answered {response.status_code} for the reset link")
    try:
        return response.json()["url"]
    except (ValueError, KeyError) as error:
        raise SendDeferred(f"accounts answered without a link: {error!r}") from error
