"""Each event consumed emails the right person, once."""

import uuid
from dataclasses import replace
from datetime import timedelta

import pytest

from apps.accounts import contracts as accounts
from apps.applications import contracts as applications
from apps.notifications.consumers import NOTIFICATIONS
from apps.notifications.models import Notification, Recipient
from apps.notifications.services import notification_id_for
from apps.notifications.tests.conftest import application_payload, notification_for
from kernel.models import InboxEvent
from kernel.testing.events import deliver, envelope_for

pytestmark = pytest.mark.django_db


def body(message) -> str:
    return message.get_content().replace("\r\n", "\n")  # SMTP's line ends


def test_registration_welcomes_the_new_user_and_fills_the_directory(register, mailbox):
    user = register(role="landlord", full_name="Ada Lovelace")
    recipient = Recipient.objects.get(user_id=user["user_id"])
    assert (recipient.email, recipient.full_name, recipient.role) == (
        user["email"],
        "Ada Lovelace",
        "landlord",
    )
    notification = Notification.objects.get(recipient_id=user["user_id"])
    assert notification.kind == Notification.Kind.WELCOME
    assert notification.status == Notification.Status.SENT
    assert notification.attempts == 1
    assert notification.sent_at is not None
    message = mailbox.one_for(notification.id)
    assert message["To"] == user["email"]
    assert message["Subject"] == "Welcome to Hearth, Ada Lovelace"
    assert "Hello Ada Lovelace," in body(message)
    assert "List your first apartment" in body(message)
    assert message["X-Hearth-Event-Id"] == str(notification.event_id)
    assert message["X-Hearth-Event-Occurred-At"] == notification.event_occurred_at.isoformat()
    assert message["Message-ID"] == f"<{notification.id}@notifications.hearth>"


def test_submitted_application_emails_the_landlord(register, feed, mailbox):
    landlord = register(role="landlord", full_name="Ada Lovelace")
    renter = register(full_name="Grace Hopper")
    application = application_payload(
        landlord_id=landlord["user_id"],
        renter_id=renter["user_id"],
        listing_title="Loft & garden, Kreuzberg",
        occupants=3,
        message="We'd love to move in.\nTwo cats, very calm.",
    )
    envelope = feed(
        applications.APPLICATION_SUBMITTED,
        {"application": application},
        aggregate_id=application["application_id"],
    )
    notification = notification_for(envelope)
    assert str(notification.recipient_id) == landlord["user_id"]
    assert notification.kind == Notification.Kind.APPLICATION_SUBMITTED
    message = mailbox.one_for(notification.id)
    assert message["To"] == landlord["email"]
    assert message["Subject"] == "New application for Loft & garden, Kreuzberg"
    text = body(message)
    assert 'Grace Hopper has applied for "Loft & garden, Kreuzberg"' in text  # not HTML-escaped
    assert "Move-in date: 2027-01-15" in text
    assert "Occupants: 3" in text
    assert "We'd love to move in.\nTwo cats, very calm." in text


# (event, extra payload, subject, a phrase of the body)
DECISIONS = [
    (
        applications.APPLICATION_APPROVED,
        {},
        "Your application for Bright two-bedroom near the park was approved",
        "the landlord approved your application",
    ),
    (
        applications.APPLICATION_REJECTED,
        {},
        "Your application for Bright two-bedroom near the park was declined",
        "the landlord declined your application",
    ),
    (
        applications.APPLICATION_CLOSED,
        {"reason": "listing_let"},
        "Bright two-bedroom near the park is no longer available",
        "it has been let to another applicant",
    ),
    (
        applications.APPLICATION_CLOSED,
        {"reason": "listing_withdrawn"},
        "Bright two-bedroom near the park is no longer available",
        "the landlord took it off the market",
    ),
]


@pytest.mark.parametrize("decision", DECISIONS, ids=["approved", "rejected", "let", "withdrawn"])
def test_decisions_email_the_renter(register, feed, mailbox, decision):
    event_type, extra, subject, phrase = decision
    landlord = register(role="landlord", send=False)
    renter = register(full_name="Grace Hopper")
    status = event_type.name.removeprefix("applications.application_")
    application = application_payload(
        landlord_id=landlord["user_id"],
        renter_id=renter["user_id"],
        status=status,
        decided_at="2026-11-25T10:00:00Z",
    )
    envelope = feed(
        event_type,
        {"application": application, **extra},
        aggregate_id=application["application_id"],
    )
    notification = notification_for(envelope)
    assert str(notification.recipient_id) == renter["user_id"]
    message = mailbox.one_for(notification.id)
    assert message["To"] == renter["email"]
    assert message["Subject"] == subject
    assert "Hello Grace Hopper," in body(message)
    assert phrase in " ".join(body(message).split())


def test_the_consumer_reads_both_topics_and_ignores_events_that_email_no_one():
    assert set(NOTIFICATIONS.topics) == {"hearth.accounts.v1", "hearth.applications.v1"}
    assert set(NOTIFICATIONS.handlers) == {
        "accounts.user_registered",
        "accounts.user_profile_updated",
        "accounts.password_reset_requested",
        "applications.application_submitted",
        "applications.application_approved",
        "applications.application_rejected",
        "applications.application_closed",
    }
    assert NOTIFICATIONS.group_id == "hearth.notifications"


def test_a_redelivered_or_replayed_event_makes_no_second_notification_or_email(
    register, feed, mailbox, django_capture_on_commit_callbacks
):
    landlord = register(role="landlord", send=False)
    renter = register(send=False)
    application = application_payload(landlord_id=landlord["user_id"], renter_id=renter["user_id"])
    envelope = feed(applications.APPLICATION_SUBMITTED, {"application": application})
    notification = notification_for(envelope)

    with django_capture_on_commit_callbacks(execute=True) as enqueued:
        assert deliver(NOTIFICATIONS, envelope) is False  # the inbox knows it
        # A replay from the start empties the inbox: the notification's id still matches.
        InboxEvent.objects.filter(event_id=envelope.event_id).delete()
        assert deliver(NOTIFICATIONS, envelope) is True
    assert enqueued == []
    assert Notification.objects.filter(event_id=envelope.event_id).count() == 1
    assert len(mailbox.messages_for(notification.id)) == 1


def test_notification_ids_are_fixed_by_event_recipient_and_kind():
    event_id, recipient = uuid.uuid4(), str(uuid.uuid4())
    one = notification_id_for(event_id=event_id, recipient_id=recipient, kind="welcome")
    assert one == notification_id_for(event_id=event_id, recipient_id=recipient, kind="welcome")
    assert one.version == 5
    others = {
        notification_id_for(event_id=uuid.uuid4(), recipient_id=recipient, kind="welcome"),
        notification_id_for(event_id=event_id, recipient_id=str(uuid.uuid4()), kind="welcome"),
        notification_id_for(event_id=event_id, recipient_id=recipient, kind="password_reset"),
    }
    assert len(others) == 3
    assert one not in others


def test_profile_updates_keep_the_directory_current_and_ignore_stale_data(register, feed):
    user = register(send=False)
    updated = {**user, "email": "new@example.com", "full_name": "Grace B. Hopper"}
    del updated["registered_at"]
    newer = feed(accounts.USER_PROFILE_UPDATED, updated, aggregate_id=user["user_id"])
    recipient = Recipient.objects.get(user_id=user["user_id"])
    assert (recipient.email, recipient.full_name) == ("new@example.com", "Grace B. Hopper")
    assert recipient.updated_at == newer.occurred_at

    # An older event arriving late (a replay, another partition) changes nothing.
    stale = envelope_for(
        accounts.USER_PROFILE_UPDATED,
        {**updated, "email": "old@example.com"},
        aggregate_id=user["user_id"],
    )
    deliver(NOTIFICATIONS, replace(stale, occurred_at=newer.occurred_at - timedelta(hours=1)))
    assert Recipient.objects.get(user_id=user["user_id"]).email == "new@example.com"


def test_profile_update_of_a_user_not_yet_known_creates_them(feed):
    user_id = str(uuid.uuid4())
    feed(
        accounts.USER_PROFILE_UPDATED,
        {"user_id": user_id, "email": "ada@example.com", "full_name": "Ada", "role": "landlord"},
        aggregate_id=user_id,
    )
    assert Recipient.objects.get(user_id=user_id).email == "ada@example.com"
    assert not Notification.objects.filter(recipient_id=user_id).exists()


def test_a_replay_from_the_start_empties_only_the_directory(register):
    user = register(send=False)
    NOTIFICATIONS.reset_read_model()
    assert not Recipient.objects.exists()
    assert Notification.objects.filter(recipient_id=user["user_id"]).exists()


def test_events_older_than_the_news_window_update_the_directory_but_email_no_one():
    user_id = str(uuid.uuid4())
    payload = {
        "user_id": user_id,
        "email": "old-timer@example.com",
        "full_name": "Old Timer",
        "role": "renter",
        "registered_at": "2025-01-01T00:00:00+00:00",
    }
    old = envelope_for(accounts.USER_REGISTERED, payload, aggregate_id=user_id)
    deliver(NOTIFICATIONS, replace(old, occurred_at=old.occurred_at - timedelta(days=4)))
    assert Recipient.objects.get(user_id=user_id).email == "old-timer@example.com"
    assert not Notification.objects.filter(recipient_id=user_id).exists()
