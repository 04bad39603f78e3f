"""Helpers for the notifications suite: events fed through the consumer's inbox,
the Celery task run as a worker would, and the real SMTP sink's maildir read back."""

import time
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from celery import current_app as app
from celery.app.task import Task

from apps.accounts import contracts as accounts
from apps.applications import contracts as applications
from apps.notifications.consumers import NOTIFICATIONS
from apps.notifications.models import Notification
from kernel.events.envelope import Envelope
from kernel.events.types import EventType
from kernel.http import breaker
from kernel.testing.auth import key_dir, signing_keys  # noqa: F401 (fixtures)
from kernel.testing.events import deliver, envelope_for


@pytest.fixture(autouse=True)
def real_smtp(settings) -> None:
    """Django's test set-up swaps in an in-memory backend; these tests use the real sink."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


@pytest.fixture(scope="session")
def signing_services() -> list[str]:
    """Notifications signs service tokens, accounts user tokens."""
    return ["accounts", "notifications"]


@pytest.fixture(autouse=True)
def fresh_breakers() -> None:
    """No test inherits another's failures towards accounts."""
    breaker.cache_clear()


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Tasks run in-process when enqueued (retries excepted: see run_as_worker)."""
    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


def run_as_worker(task: Task, *args: Any, retries: int = 0) -> Any:
    """Run `task` as a worker runs one delivery of it, except that self.retry() only
    raises celery's Retry (with its countdown) and enqueues nothing: the test plays
    the next delivery itself, with `retries` counted up."""
    task.push_request(
        id=uuid.uuid4().hex, args=args, retries=retries, called_directly=False, is_eager=True
    )
    try:
        return task.run(*args)
    finally:
        task.pop_request()


@pytest.fixture
def feed(django_capture_on_commit_callbacks, eager_celery):
    """Deliver an event as the consumer does. send=True runs the enqueued send task
    at commit (eagerly); send=False drops it, for a test to run the task itself."""

    def feed(
        event_type: EventType,
        payload: dict[str, Any],
        *,
        aggregate_id: str | None = None,
        send: bool = True,
    ) -> Envelope:
        envelope = envelope_for(event_type, payload, aggregate_id=aggregate_id or uuid.uuid4())
        with django_capture_on_commit_callbacks(execute=send):
            deliver(NOTIFICATIONS, envelope)
        return envelope

    return feed


@pytest.fixture
def register(feed):
    """A user signed up: in the directory, and welcomed."""

    def register(*, role: str = "renter", full_name: str = "", send: bool = True) -> dict[str, Any]:
        user_id = str(uuid.uuid4())
        user = {
            "user_id": user_id,
            "email": f"user-{user_id[:8]}@example.com",
            "full_name": full_name or ("Ada Lovelace" if role == "landlord" else "Grace Hopper"),
            "role": role,
            "registered_at": "2026-11-25T09:00:00Z",
        }
        feed(accounts.USER_REGISTERED, user, aggregate_id=user_id, send=send)
        return user

    return register


def application_payload(*, landlord_id: str, renter_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "application_id": str(uuid.uuid4()),
        "listing_id": str(uuid.uuid4()),
        "listing_title": "Bright two-bedroom near the park",
        "landlord_id": landlord_id,
        "renter_id": renter_id,
        "renter_name": "Grace Hopper",
        "status": "submitted",
        "move_in_date": "2027-01-15",
        "occupants": 2,
        "monthly_income": {"amount": "5200.00", "currency": "EUR"},
        "message": "We are quiet and tidy.",
        "submitted_at": "2026-11-25T09:05:00Z",
        "decided_at": None,
        **overrides,
    }


def submit_application(feed, *, landlord_id: str, renter_id: str, send: bool = False):
    application = application_payload(landlord_id=landlord_id, renter_id=renter_id)
    return feed(
        applications.APPLICATION_SUBMITTED,
        {"application": application},
        aggregate_id=application["application_id"],
        send=send,
    )


def notification_for(envelope: Envelope) -> Notification:
    return Notification.objects.get(event_id=envelope.event_id)


class Mailbox:
    """The real SMTP sink's maildir: every message it accepted, one .eml file each."""

    def __init__(self, maildir: Path) -> None:
        self.maildir = maildir
        self.since = time.time() - 5  # older files cannot be this test's

    def messages_for(self, notification_id: uuid.UUID | str) -> list[EmailMessage]:
        found = []
        for path in self.maildir.glob("*.eml"):
            if path.stat().st_mtime < self.since:
                continue
            message = BytesParser(policy=default_policy).parsebytes(path.read_bytes())
            if message["X-Hearth-Notification-Id"] == str(notification_id):
                found.append(message)
        return found

    def one_for(self, notification_id: uuid.UUID | str) -> EmailMessage:
        messages = self.messages_for(notification_id)
        assert len(messages) == 1, f"{len(messages)} emails for notification {notification_id}"
        return messages[0]


@pytest.fixture
def mailbox(maildir) -> Mailbox:
    return Mailbox(maildir)
