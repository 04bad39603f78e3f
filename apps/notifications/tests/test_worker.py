"""The whole path in production's shape: an event committed by the consumer, the
task enqueued at commit through Redis, a real Celery worker, the real SMTP sink."""

import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from celery import current_app as app

from apps.accounts import contracts as accounts
from apps.notifications.consumers import NOTIFICATIONS
from apps.notifications.models import Notification
from kernel.testing.events import deliver, envelope_for


@pytest.fixture
def worker(transactional_db, settings, tmp_path):
    """A worker of this deployable on a queue of its own (a stack worker on
    `notifications` must neither take these tasks nor lose its own to this one),
    reading the test database; enqueued tasks go to that queue."""
    queue = f"notifications-test-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.notifications",
        "DATABASE_NAME": settings.DATABASES["default"]["NAME"],
    }
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "celery"),
                *("-A", "config.celery", "worker", "--pool", "solo", "-Q", queue),
                *("-n", f"{queue}@%h", "--without-heartbeat", "--without-mingle"),
                "--without-gossip",
            ],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    saved_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        # Answers only once it consumes the queue: the worker is warm.
        app.send_task("kernel.python_version", queue=queue).get(timeout=60)
        yield log
    finally:
        app.conf.task_default_queue = saved_queue
        process.terminate()
        process.wait(30)


def test_an_event_reaches_smtp_through_a_real_worker_well_within_a_second(worker, mailbox):
    user_id = str(uuid.uuid4())
    envelope = envelope_for(
        accounts.USER_REGISTERED,
        {
            "user_id": user_id,
            "email": "worker@example.com",
            "full_name": "Katherine Johnson",
            "role": "renter",
            "registered_at": "2026-11-25T09:00:00Z",
        },
        aggregate_id=user_id,
    )
    assert deliver(NOTIFICATIONS, envelope)  # commits; the send task is enqueued at commit
    notification = Notification.objects.get(event_id=envelope.event_id)

    deadline = time.monotonic() + 10
    while not (messages := mailbox.messages_for(notification.id)):
        assert time.monotonic() < deadline, worker.read_text()[-3000:]
        time.sleep(0.01)
    accepted = datetime.now(UTC)
    assert (accepted - envelope.occurred_at).total_seconds() < 1.0
    assert len(messages) == 1
    assert messages[0]["Subject"] == "Welcome to Hearth, Katherine Johnson"

    deadline = time.monotonic() + 5  # the worker marks the row right after SMTP accepted
    while Notification.objects.get(pk=notification.pk).status != Notification.Status.SENT:
        assert time.monotonic() < deadline, worker.read_text()[-3000:]
        time.sleep(0.01)


def test_tasks_go_through_the_deployables_celery_app_in_any_of_its_processes():
    """shared_task binds to the current app: the settings make it config.celery's, so
    the consumer's process enqueues on the deployable's broker and queue, not on
    Celery's unconfigured default (amqp://localhost)."""
    from django.conf import settings

    from apps.notifications.tasks import send_notification

    assert send_notification.app.conf.broker_url == settings.CELERY_BROKER_URL
    assert send_notification.app.conf.task_default_queue == "notifications"
