"""Writes of the payments context: opening, charging, settling and refunding move-in
payments, each with its ledger entry and its event, in one transaction.

CHARGING, AND WHY NOTHING IS CHARGED TWICE. A charge is written (status processing,
with the provider idempotency key it will always be sent with) and committed before
the provider is called; the answer is recorded in a second transaction. If the
process dies in between, or the provider's answer is lost, the charge stays
processing, and the provider's webhook or `payments_reconcile` settles it later
(reconciliation asks again with the same key, which Stripe answers with the same
charge). A payment has at most one successful charge (a partial unique index) and at
most one settlement entry (LedgerEntry's unique (payment, kind)), so no path posts
the money twice. The client's Idempotency-Key is apps.payments.idempotency's concern.

Lock order, the same everywhere: the payment row, then its charges.
"""

import datetime
import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.applications.contracts import ApplicationSnapshot
from apps.listings.contracts import ListingSnapshot
from apps.payments import ledger, provider
from apps.payments.contracts import (
    DEPOSIT_REFUNDED,
    PAYMENT_FAILED,
    PAYMENT_REQUESTED,
    PAYMENT_SUCCEEDED,
    PAYOUT_SCHEDULED,
    PaymentStatus,
)
from apps.payments.models import (
    Charge,
    LedgerEntry,
    ListingTerms,
    Payment,
    Payout,
    PendingApproval,
    ProviderEvent,
    derived_id,
)
from kernel import errors
from kernel.events.outbox import publish_event
from kernel.money import MAX_AMOUNT, SUPPORTED_CURRENCIES, money

NO_SUCH_PAYMENT = "No such payment."
CENT = Decimal("0.01")


def payment_snapshot(payment: Payment) -> dict[str, Any]:
    """The payment as every one of its events carries it (schemas/payment.json)."""
    return {
        "payment_id": str(payment.id),
        "application_id": str(payment.application_id),
        "listing_id": str(payment.listing_id),
        "listing_title": payment.listing_title,
        "renter_id": str(payment.renter_id),
        "landlord_id": str(payment.landlord_id),
        "status": payment.status,
        "rent": money(payment.rent_amount, payment.currency),
        "deposit": money(payment.deposit_amount, payment.currency),
        "fee": money(payment.fee_amount, payment.currency),
        "total": money(payment.total, payment.currency),
        "due_date": payment.due_date.isoformat(),
        "paid_at": payment.paid_at.isoformat() if payment.paid_at else None,
        "deposit_refunded_at": (
            payment.deposit_refunded_at.isoformat() if payment.deposit_refunded_at else None
        ),
    }


def platform_fee(rent: Decimal) -> Decimal:
    return (rent * settings.PAYMENTS_FEE_RATE).quantize(CENT, rounding=ROUND_HALF_UP)


# --- opening: from applications' and listings' events ----------------------------


def listing_terms_apply(*, snapshot: ListingSnapshot) -> None:
    """Keep what the listing asks (stale snapshots ignored), then open the payments of
    approvals that were waiting for it."""
    fields = {
        "landlord_id": snapshot.landlord_id,
        "title": snapshot.title,
        "monthly_rent_amount": snapshot.monthly_rent.amount,
        "deposit_amount": snapshot.deposit.amount,
        "currency": snapshot.monthly_rent.currency,
        "updated_at": snapshot.updated_at,
    }
    if snapshot.deposit.currency != snapshot.monthly_rent.currency:
        raise errors.Invalid("The listing's rent and deposit are in different currencies.")
    with transaction.atomic():
        terms, created = ListingTerms.objects.select_for_update().get_or_create(
            listing_id=snapshot.listing_id, defaults=fields
        )
        if not created and fields["updated_at"] >= terms.updated_at:
            for name, value in fields.items():
                setattr(terms, name, value)
            terms.save()
        for pending in PendingApproval.objects.filter(listing_id=snapshot.listing_id):
            _open(pending, terms)
            pending.delete()


def payment_request(*, application: ApplicationSnapshot, approved_at: datetime.datetime) -> None:
    """application_approved: open the move-in payment, or, if the listing's terms have
    not arrived yet, remember the approval until they do. Idempotent."""
    approval = PendingApproval(
        application_id=application.application_id,
        listing_id=application.listing_id,
        renter_id=application.renter_id,
        landlord_id=application.landlord_id,
        listing_title=application.listing_title,
        approved_at=approved_at,
    )
    with transaction.atomic():
        terms = ListingTerms.objects.select_for_update().filter(pk=application.listing_id).first()
        if terms is None:
            PendingApproval.objects.get_or_create(
                renter_id=approval.renter_id,
                application_id=approval.application_id,
                defaults={
                    f: getattr(approval, f)
                    for f in (
                        "listing_id",
                        "renter_id",
                        "landlord_id",
                        "listing_title",
                        "approved_at",
                    )
                },
            )
            return
        _open(approval, terms)


def _open(approval: PendingApproval, terms: ListingTerms) -> Payment | None:
    payment_id = derived_id("payment", approval.application_id)
    # By id alone: one application sent again with another renter must not open a
    # second payment of this id, which the database's (renter_id, id) key would allow.
    if Payment.objects.filter(pk=payment_id).exists():
        return None
    _check_money(terms.monthly_rent_amount, terms.currency, positive=True)
    _check_money(terms.deposit_amount, terms.currency)
    payment = Payment.objects.create(
        id=payment_id,
        renter_id=approval.renter_id,
        landlord_id=approval.landlord_id,
        application_id=approval.application_id,
        listing_id=approval.listing_id,
        listing_title=approval.listing_title,
        currency=terms.currency,
        rent_amount=terms.monthly_rent_amount,
        deposit_amount=terms.deposit_amount,
        fee_amount=platform_fee(terms.monthly_rent_amount),
        due_date=timezone.localdate(approval.approved_at)
        + datetime.timedelta(days=settings.PAYMENTS_DUE_DAYS),
    )
    ledger.post(
        payment=payment, kind=LedgerEntry.Kind.PAYMENT_OPENED, lines=ledger.opened_lines(payment)
    )
    publish_event(
        PAYMENT_REQUESTED, aggregate_id=payment.id, payload={"payment": payment_snapshot(payment)}
    )
    return payment


def _check_money(amount: Decimal, currency: str, *, positive: bool = False) -> None:
    if currency not in SUPPORTED_CURRENCIES:
        raise errors.Invalid(f"{currency} is not a currency Hearth takes.")
    if amount < 0 or (positive and amount == 0) or amount > MAX_AMOUNT:
        raise errors.Invalid(f"{amount} {currency} is not an amount Hearth charges.")
    if amount != amount.quantize(CENT):
        raise errors.Invalid(f"{amount} has more than two decimals.")


def reset_read_model() -> None:
    """Empty what the consumer builds from listings' events, for a replay. Payments
    and the ledger are this context's own records, never rebuilt."""
    ListingTerms.objects.all().delete()
    PendingApproval.objects.all().delete()


# --- charging ---------------------------------------------------------------------


def charge_begin(
    *, payment_id: uuid.UUID, renter_id: uuid.UUID, payment_method: str, client_key: str
) -> Charge:
    """Record the charge about to be sent (committed before the provider is called)."""
    if settings.STRIPE_MOCK and payment_method not in provider.TEST_PAYMENT_METHODS:
        raise errors.Invalid.field(
            "payment_method",
            "Locally, use one of Stripe's test payment methods: "
            + ", ".join(provider.TEST_PAYMENT_METHODS),
        )
    with transaction.atomic():
        payment = _lock(payment_id, renter_id=renter_id)
        if payment.status == PaymentStatus.PAID:
            raise errors.Conflict("This payment is paid already.")
        if payment.status == PaymentStatus.PROCESSING:
            raise errors.Conflict("A charge of this payment is in progress; try again shortly.")
        charge_id = derived_id("charge", payment.id, client_key)
        if Charge.objects.filter(renter_id=payment.renter_id, pk=charge_id).exists():
            raise errors.Conflict("This Idempotency-Key was used for an earlier charge.")
        charge = Charge.objects.create(
            id=charge_id,
            renter_id=payment.renter_id,
            payment_id=payment.id,
            status=Charge.Status.PROCESSING,
            amount=payment.total,
            currency=payment.currency,
            payment_method=payment_method,
            provider_key=f"hearth-charge-{charge_id}",
        )
        payment.status = PaymentStatus.PROCESSING
        payment.save(update_fields=["status"])
    return charge


def charge_send(charge: Charge) -> provider.ProviderCharge | None:
    """Ask the provider to charge; None when its answer is unknown (the charge stays
    processing until the webhook or reconciliation settles it)."""
    try:
        return provider.charge(
            charge_id=charge.id,
            amount=charge.amount,
            currency=charge.currency,
            payment_method=charge.payment_method,
            idempotency_key=charge.provider_key,
        )
    except provider.ProviderUnavailable:
        return None


def charge_settle(*, charge_id: uuid.UUID, result: provider.ProviderCharge) -> Charge:
    """Record the provider's answer for a charge, once: the payment is paid (ledger
    entry, payout, events) or due again (payment_failed). Idempotent: a settled charge
    is left as it is, whoever reports its outcome again (webhook, reconciliation)."""
    with transaction.atomic():
        charge = Charge.objects.filter(pk=charge_id).first()
        if charge is None:
            raise errors.NotFound("No such charge.")
        payment = _lock(charge.payment_id, renter_id=charge.renter_id)
        charge = Charge.objects.select_for_update().get(renter_id=charge.renter_id, pk=charge_id)
        if result.intent_id and not charge.provider_intent_id:
            charge.provider_intent_id = result.intent_id
        if charge.status != Charge.Status.PROCESSING or result.status == "processing":
            charge.save(update_fields=["provider_intent_id"])
            return charge
        if (result.amount, result.currency) != (charge.amount, charge.currency):
            # Never book what was not asked for: leave it to reconciliation's report.
            raise errors.Conflict(
                f"The provider charged {result.amount} {result.currency}, "
                f"not {charge.amount} {charge.currency}."
            )
        now = timezone.now()
        charge.settled_at = now
        if result.status == "succeeded":
            charge.status = Charge.Status.SUCCEEDED
            charge.save()
            _paid(payment, charge, now)
        else:
            charge.status = Charge.Status.FAILED
            charge.decline_code = result.decline_code[:60]
            charge.failure_message = result.message[:300]
            charge.save()
            payment.status = PaymentStatus.DUE
            payment.save(update_fields=["status"])
            publish_event(
                PAYMENT_FAILED,
                aggregate_id=payment.id,
                payload={
                    "payment": payment_snapshot(payment),
                    "charge_id": str(charge.id),
                    "decline_code": charge.decline_code,
                    "message": charge.failure_message,
                },
            )
    return charge


def _paid(payment: Payment, charge: Charge, now: datetime.datetime) -> None:
    payment.status = PaymentStatus.PAID
    payment.paid_at = now
    payment.save(update_fields=["status", "paid_at"])
    ledger.post(
        payment=payment, kind=LedgerEntry.Kind.PAYMENT_SETTLED, lines=ledger.settled_lines(payment)
    )
    snapshot = payment_snapshot(payment)
    publish_event(
        PAYMENT_SUCCEEDED,
        aggregate_id=payment.id,
        payload={"payment": snapshot, "charge_id": str(charge.id)},
    )
    payout = Payout.objects.create(
        id=payment.id,
        renter_id=payment.renter_id,
        landlord_id=payment.landlord_id,
        amount=payment.rent_amount - payment.fee_amount,
        currency=payment.currency,
        scheduled_for=timezone.localdate(now)
        + datetime.timedelta(days=settings.PAYMENTS_PAYOUT_DELAY_DAYS),
    )
    publish_event(
        PAYOUT_SCHEDULED,
        aggregate_id=payment.id,
        payload={
            "payment": snapshot,
            "payout_id": str(payout.id),
            "amount": money(payout.amount, payout.currency),
            "scheduled_for": payout.scheduled_for.isoformat(),
        },
    )


def payment_pay(
    *, payment_id: uuid.UUID, renter_id: uuid.UUID, payment_method: str, client_key: str
) -> tuple[Payment, Charge]:
    """Charge the move-in payment: begin, send, settle (module docstring)."""
    charge = charge_begin(
        payment_id=payment_id,
        renter_id=renter_id,
        payment_method=payment_method,
        client_key=client_key,
    )
    result = charge_send(charge)
    if result is not None:
        charge = charge_settle(charge_id=charge.id, result=result)
    return Payment.objects.get(renter_id=renter_id, pk=payment_id), charge


def webhook_apply(event: provider.WebhookEvent) -> bool:
    """A verified provider event, applied once per event id; False for a redelivery
    or an event about no charge of ours."""
    outcomes = {"payment_intent.succeeded": "succeeded", "payment_intent.payment_failed": "failed"}
    with transaction.atomic():
        _, created = ProviderEvent.objects.get_or_create(
            event_id=event.event_id, defaults={"event_type": event.event_type}
        )
        if not created or event.event_type not in outcomes:
            return False
        charge = _charge_of(event)
        if charge is None:
            return False
        charge_settle(
            charge_id=charge.id,
            result=provider.ProviderCharge(
                intent_id=event.intent_id,
                status=outcomes[event.event_type],
                amount=charge.amount,
                currency=charge.currency,
                decline_code=event.decline_code or "card_declined",
                message=event.message or "The card was declined.",
            ),
        )
    return True


def _charge_of(event: provider.WebhookEvent) -> Charge | None:
    if event.charge_id:
        return Charge.objects.filter(pk=event.charge_id).first()
    return (
        Charge.objects.filter(provider_intent_id=event.intent_id).first()
        if event.intent_id
        else None
    )


# --- the deposit ------------------------------------------------------------------


def deposit_refund(*, payment_id: uuid.UUID, landlord_id: uuid.UUID) -> Payment:
    """The landlord refunds the deposit at move-out, once (409 after)."""
    with transaction.atomic():
        payment = _lock(payment_id, landlord_id=landlord_id)
        if payment.status != PaymentStatus.PAID:
            raise errors.Conflict("Only a paid payment's deposit can be refunded.")
        if payment.deposit_refunded_at:
            raise errors.Conflict("The deposit was refunded already.")
        if not payment.deposit_amount:
            raise errors.Conflict("This payment has no deposit.")
        charge = Charge.objects.get(payment_id=payment.id, status=Charge.Status.SUCCEEDED)
        try:
            # Inside the lock, so two refunds cannot race; the key makes a retry safe.
            provider.refund(
                intent_id=charge.provider_intent_id,
                amount=payment.deposit_amount,
                idempotency_key=f"hearth-deposit-refund-{payment.id}",
            )
        except provider.ProviderUnavailable as error:
            raise errors.Conflict(
                "The payment provider is unavailable; try again later."
            ) from error
        payment.deposit_refunded_at = timezone.now()
        payment.save(update_fields=["deposit_refunded_at"])
        ledger.post(
            payment=payment,
            kind=LedgerEntry.Kind.DEPOSIT_REFUNDED,
            lines=ledger.refunded_lines(payment),
        )
        publish_event(
            DEPOSIT_REFUNDED,
            aggregate_id=payment.id,
            payload={
                "payment": payment_snapshot(payment),
                "amount": money(payment.deposit_amount, payment.currency),
            },
        )
    return payment


def _lock(payment_id: uuid.UUID, **owner: Any) -> Payment:
    payment = Payment.objects.select_for_update().filter(pk=payment_id, **owner).first()
    if payment is None:
        raise errors.NotFound(NO_SUCH_PAYMENT)
    return payment
