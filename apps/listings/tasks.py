"""Celery entry points of listings, on the deployable's queue `listings`. Thin: what
they do is in photo_services.

shared_task binds each task to the current Celery app, which is the deployable's own
(config.celery) in every process of listings: its settings make it current."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from apps.listings.photo_services import PROCESS_TASK, photo_process
from apps.listings.storage import StorageUnavailable

MAX_BACKOFF_SECONDS = 60


@shared_task(
    bind=True,
    name=PROCESS_TASK,
    max_retries=None,  # an accepted photo waits for object storage, however long it is down
    acks_late=True,
    ignore_result=True,
)
def process_photo(self, photo_id: str) -> None:
    """Make one photo's variants and show it; a second run of the same photo is a no-op.
    Object storage or the database unreachable: retried with backoff, never dropped."""
    try:
        photo_process(photo_id=photo_id)
    except (StorageUnavailable, OperationalError, InterfaceError) as error:
        countdown = min(2**self.request.retries, MAX_BACKOFF_SECONDS)
        raise self.retry(exc=error, countdown=countdown) from error
