"""Events notifications acts on: each creates the notification it owes (a no-op
if it exists) and, once that is committed, enqueues the task that emails it."""

import logging
from datetime import timedelta
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.accounts import contracts as accounts
from apps.applications import contracts as applications
from apps.notifications.models import Notification
from apps.notifications.services import notification_create, recipient_upsert, recipients_reset
from apps.notifications.tasks import send_notification
from apps.payments import contracts as payments
from kernel.events.consumer import ConsumerSpec
from kernel.events.envelope import Envelope
from kernel.events.readers import Money

Kind = Notification.Kind
logger = logging.getLogger(__name__)
# Emails are news: events older than this when first read update the directory
# but send nothing. Longer than any outage the consumer should ride out.
NEWS_WINDOW = timedelta(days=3)


def on_user_registered(envelope: Envelope) -> None:
    user = envelope.payload
    _upsert_recipient(envelope)
    _notify(
        envelope,
        recipient_id=user["user_id"],
        kind=Kind.WELCOME,
        context={"full_name": user["full_name"], "role": user["role"]},
    )


def on_user_profile_updated(envelope: Envelope) -> None:
    _upsert_recipient(envelope)


def on_password_reset_requested(envelope: Envelope) -> None:
    request = envelope.payload
    _notify(
        envelope,
        recipient_id=request["user_id"],
        kind=Kind.PASSWORD_RESET,
        context={"request_id": request["request_id"], "expires_at": request["expires_at"]},
    )


def on_application_submitted(envelope: Envelope) -> None:
    application = applications.APPLICATION_SUBMITTED.read(envelope).application
    _notify(
        envelope,
        recipient_id=str(application.landlord_id),
        kind=Kind.APPLICATION_SUBMITTED,
        context={
            **_about(application),
            "renter_name": application.renter_name,
            "occupants": application.occupants,
            "message": application.message,
        },
    )


def on_application_approved(envelope: Envelope) -> None:
    application = applications.APPLICATION_APPROVED.read(envelope).application
    _notify_renter(envelope, application, Kind.APPLICATION_APPROVED)


def on_application_rejected(envelope: Envelope) -> None:
    application = applications.APPLICATION_REJECTED.read(envelope).application
    _notify_renter(envelope, application, Kind.APPLICATION_REJECTED)


def on_application_closed(envelope: Envelope) -> None:
    closed = applications.APPLICATION_CLOSED.read(envelope)
    _notify_renter(
        envelope, closed.application, Kind.APPLICATION_CLOSED, reason=closed.reason.value
    )


def _upsert_recipient(envelope: Envelope) -> None:
    user = envelope.payload
    recipient_upsert(
        user_id=user["user_id"],
        email=user["email"],
        full_name=user["full_name"],
        role=user["role"],
        as_of=envelope.occurred_at,
    )


def _about(application: applications.ApplicationSnapshot) -> dict[str, Any]:
    """What every application email shows, as JSON (a notification keeps it)."""
    return {
        "application_id": str(application.application_id),
        "listing_id": str(application.listing_id),
        "listing_title": application.listing_title,
        "move_in_date": application.move_in_date.isoformat(),
    }


def _notify_renter(
    envelope: Envelope, application: applications.ApplicationSnapshot, kind: str, **context: Any
) -> None:
    _notify(
        envelope,
        recipient_id=str(application.renter_id),
        kind=kind,
        context={**_about(application), **context},
    )


def _notify(envelope: Envelope, *, recipient_id: str, kind: str, context: dict[str, Any]) -> None:
    if envelope.occurred_at < timezone.now() - NEWS_WINDOW:
        # Old news: a new environment's (or a new consumer group's) first read of
        # the kept history must not email everyone about last year.
        logger.info(
            "event too old to email about",
            extra={"event_id": str(envelope.event_id), "kind": kind},
        )
        return
    notification, created = notification_create(
        envelope=envelope, recipient_id=recipient_id, kind=kind, context=context
    )
    if created:
        # Robust: a broker hiccup must not fail the committed event; the sweeper
        # enqueues the notification later instead.
        transaction.on_commit(partial(send_notification.delay, str(notification.id)), robust=True)


NOTIFICATIONS = ConsumerSpec(
    group_id="hearth.notifications",
    topics=(accounts.EVENTS.topic, applications.EVENTS.topic),
    handlers={
        accounts.USER_REGISTERED.name: on_user_registered,
        accounts.USER_PROFILE_UPDATED.name: on_user_profile_updated,
        accounts.PASSWORD_RESET_REQUESTED.name: on_password_reset_requested,
        applications.APPLICATION_SUBMITTED.name: on_application_submitted,
        applications.APPLICATION_APPROVED.name: on_application_approved,
        applications.APPLICATION_REJECTED.name: on_application_rejected,
        applications.APPLICATION_CLOSED.name: on_application_closed,
    },
    reset_read_model=recipients_reset,
)


# --- payments' events: the payment-due notice, a declined charge, and the receipts of
# a paid payment, to the renter and to the landlord. A consumer group of its own beside
# NOTIFICATIONS; each email goes out exactly once through the same rows and task (_notify).


def _amount(value: Money) -> str:
    return f"{value.amount:.2f} {value.currency}"


def _about_payment(payment: payments.PaymentSnapshot) -> dict[str, Any]:
    """What every payment email shows, as JSON (a notification keeps it)."""
    return {
        "payment_id": str(payment.payment_id),
        "listing_title": payment.listing_title,
        "rent": _amount(payment.rent),
        "deposit": _amount(payment.deposit),
        "total": _amount(payment.total),
        "due_date": payment.due_date.isoformat(),
    }


def on_payment_requested(envelope: Envelope) -> None:
    payment = payments.PAYMENT_REQUESTED.read(envelope).payment
    _notify(
        envelope,
        recipient_id=str(payment.renter_id),
        kind=Kind.PAYMENT_DUE,
        context=_about_payment(payment),
    )


def on_payment_succeeded(envelope: Envelope) -> None:
    payment = payments.PAYMENT_SUCCEEDED.read(envelope).payment
    paid = {
        **_about_payment(payment),
        "paid_at": payment.paid_at.isoformat() if payment.paid_at else "",
    }
    _notify(envelope, recipient_id=str(payment.renter_id), kind=Kind.PAYMENT_RECEIPT, context=paid)
    payout = Money(amount=payment.rent.amount - payment.fee.amount, currency=payment.rent.currency)
    _notify(
        envelope,
        recipient_id=str(payment.landlord_id),
        kind=Kind.PAYMENT_RECEIVED,
        context={
            **paid,
            "renter_total": paid["total"],
            "fee": _amount(payment.fee),
            "payout": _amount(payout),
        },
    )


def on_payment_failed(envelope: Envelope) -> None:
    failed = payments.PAYMENT_FAILED.read(envelope)
    _notify(
        envelope,
        recipient_id=str(failed.payment.renter_id),
        kind=Kind.PAYMENT_DECLINED,
        context={**_about_payment(failed.payment), "reason": failed.message},
    )


PAYMENT_EMAILS = ConsumerSpec(
    group_id="hearth.notifications.payments",
    topics=(payments.EVENTS.topic,),
    handlers={
        payments.PAYMENT_REQUESTED.name: on_payment_requested,
        payments.PAYMENT_SUCCEEDED.name: on_payment_succeeded,
        payments.PAYMENT_FAILED.name: on_payment_failed,
    },
)
