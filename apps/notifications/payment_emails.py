"""Payments' events notifications emails about: the "payment due" notice to the renter
when a move-in payment opens, and the receipts of a paid one, to the renter and to
the landlord. A consumer group of its own (hearth.notifications.payments) beside the
main one; each email goes out exactly once through the same notification rows and
task as every other (consumers._notify), SMTP outages included."""

from decimal import Decimal
from typing import Any

from apps.notifications.consumers import Kind, _notify
from apps.payments import contracts as payments
from kernel.events.consumer import ConsumerSpec
from kernel.events.envelope import Envelope
from kernel.events.readers import Money


def _amount(value: Money) -> str:
    return f"{value.amount:.2f} {value.currency}"


def _about(payment: payments.PaymentSnapshot) -> dict[str, Any]:
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
        context=_about(payment),
    )


def on_payment_succeeded(envelope: Envelope) -> None:
    payment = payments.PAYMENT_SUCCEEDED.read(envelope).payment
    paid = {**_about(payment), "paid_at": payment.paid_at.isoformat() if payment.paid_at else ""}
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
            "payout": _amount(payout) if payout.amount >= Decimal("0") else "",
        },
    )


PAYMENT_EMAILS = ConsumerSpec(
    group_id="hearth.notifications.payments",
    topics=(payments.EVENTS.topic,),
    handlers={
        payments.PAYMENT_REQUESTED.name: on_payment_requested,
        payments.PAYMENT_SUCCEEDED.name: on_payment_succeeded,
    },
)
