"""Celery entry points of notifications, on the deployable's queue `notifications`.
Thin: what they do is in services.

shared_task binds each task to the current Celery app, which is the deployable's own
(config.celery) in every process of notifications: its settings make it current."""

import uuid

from celery import shared_task

from apps.notifications.services import SendDeferred, notification_send, notifications_claim_stale

MAX_BACKOFF_SECONDS = 15


def backoff_seconds(retries: int) -> int:
    """1, 2, 4, 8, then every 15 s: a mail waiting for SMTP goes out soon after it returns."""
    return min(2**retries, MAX_BACKOFF_SECONDS)


@shared_task(
    bind=True,
    name="notifications.send_notification",
    max_retries=None,  # never give up: the mail waits for SMTP, however long it is down
    acks_late=True,
    ignore_result=True,
)
def send_notification(self, notification_id: str) -> None:
    """Send one notification, at most once per row, retrying while it has to wait.

    The row lock and its status make a second task for the same row a no-op, and a
    task lost in Redis is re-enqueued by `sweep_pending`. One window remains where
    a recipient can get the email twice: SMTP accepted it, then the worker died (or
    the database failed) before the row was marked sent. The row is still pending,
    so the redelivered or swept task sends it again; both copies carry the same
    Message-ID, which lets mail clients drop the second.
    """
    try:
        notification_send(notification_id=uuid.UUID(notification_id))
    except SendDeferred as error:
        raise self.retry(countdown=backoff_seconds(self.request.retries), exc=error) from error


@shared_task(name="notifications.sweep_pending", ignore_result=True)
def sweep_pending() -> int:
    """Re-enqueue notifications whose task was lost; run every 30 s by Celery beat."""
    ids = notifications_claim_stale()
    for notification_id in ids:
        send_notification.delay(str(notification_id))
    return len(ids)
