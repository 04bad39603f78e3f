"""Payments' emails: the payment-due notice, and one receipt each to the renter and the
landlord, exactly once, however long SMTP is down and however often the event comes."""

import json
import uuid
from pathlib import Path

import pytest
from celery.exceptions import Retry

from apps.notifications.consumers import PAYMENT_EMAILS
from apps.notifications.models import Notification
from apps.notifications.tasks import send_notification
from apps.notifications.tests.conftest import run_as_worker
from apps.notifications.tests.test_sending import closed_port
from apps.payments import contracts as payments
from kernel.testing.events import deliver, envelope_for

pytestmark = pytest.mark.django_db
SCHEMAS = Path(payments.__file__).parent / "schemas"


def payment_event(event_type, *, renter: dict, landlord: dict, **changes) -> dict:
    """The schema's own example, for these users."""
    example = json.loads((SCHEMAS / f"{event_type.name.split('.')[1]}.v1.json").read_text())[
        "examples"
    ][0]
    example["payment"] |= {
        "payment_id": str(uuid.uuid4()),
        "renter_id": renter["user_id"],
        "landlord_id": landlord["user_id"],
        **changes,
    }
    return example


def feed_payment(django_capture_on_commit_callbacks, event_type, payload, *, send=True):
    envelope = envelope_for(event_type, payload, aggregate_id=payload["payment"]["payment_id"])
    with django_capture_on_commit_callbacks(execute=send):
        deliver(PAYMENT_EMAILS, envelope)
    return envelope


def body(message) -> str:
    return message.get_content().replace("\r\n", "\n")


def test_an_opened_payment_emails_the_renter_that_it_is_due(
    register, mailbox, eager_celery, django_capture_on_commit_callbacks
):
    renter, landlord = register(), register(role="landlord")
    payload = payment_event(payments.PAYMENT_REQUESTED, renter=renter, landlord=landlord)
    envelope = feed_payment(django_capture_on_commit_callbacks, payments.PAYMENT_REQUESTED, payload)
    notification = Notification.objects.get(event_id=envelope.event_id)
    assert (notification.kind, str(notification.recipient_id)) == ("payment_due", renter["user_id"])
    message = mailbox.one_for(notification.id)
    assert message["To"] == renter["email"]
    assert message["Subject"] == (
        "Your move-in payment for Bright two-bedroom near the park is due by 2026-12-02"
    )
    assert "Total               4350.00 EUR" in body(message)
    assert f"/payments/{payload['payment']['payment_id']}" in body(message)


def test_smtp_down_during_a_payment_still_ends_with_exactly_one_receipt_each(
    register, settings, mailbox, django_capture_on_commit_callbacks
):
    renter, landlord = register(send=False), register(role="landlord", send=False)
    payload = payment_event(payments.PAYMENT_SUCCEEDED, renter=renter, landlord=landlord)
    working_port, settings.EMAIL_PORT = settings.EMAIL_PORT, closed_port()
    envelope = feed_payment(
        django_capture_on_commit_callbacks, payments.PAYMENT_SUCCEEDED, payload, send=False
    )
    receipts = Notification.objects.filter(event_id=envelope.event_id)
    assert {(n.kind, str(n.recipient_id)) for n in receipts} == {
        ("payment_receipt", renter["user_id"]),
        ("payment_received", landlord["user_id"]),
    }
    for notification in receipts:
        with pytest.raises(Retry):
            run_as_worker(send_notification, str(notification.id))
    assert not deliver(PAYMENT_EMAILS, envelope)  # redelivered: the inbox knows it
    settings.EMAIL_PORT = working_port
    for notification in receipts:
        run_as_worker(send_notification, str(notification.id), retries=1)
        run_as_worker(send_notification, str(notification.id), retries=2)  # a late duplicate task
    renter_receipt = mailbox.one_for(receipts.get(kind="payment_receipt").id)
    landlord_receipt = mailbox.one_for(receipts.get(kind="payment_received").id)
    assert (
        renter_receipt["Subject"]
        == "Receipt: 4350.00 EUR paid for Bright two-bedroom near the park"
    )
    assert "Your payout         1377.50 EUR" in body(landlord_receipt)
    assert Notification.objects.filter(event_id=envelope.event_id).count() == 2


def test_a_declined_charge_tells_the_renter_it_is_still_due(
    register, mailbox, eager_celery, django_capture_on_commit_callbacks
):
    renter, landlord = register(), register(role="landlord")
    payload = payment_event(payments.PAYMENT_FAILED, renter=renter, landlord=landlord)
    envelope = feed_payment(django_capture_on_commit_callbacks, payments.PAYMENT_FAILED, payload)
    notification = Notification.objects.get(event_id=envelope.event_id)
    message = mailbox.one_for(notification.id)
    assert message["To"] == renter["email"]
    assert message["Subject"] == "Your payment for Bright two-bedroom near the park was declined"
    assert "Your card was declined. Nothing was charged." in body(message)
