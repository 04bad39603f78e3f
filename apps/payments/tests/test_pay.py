"""Paying a move-in payment: one charge per Idempotency-Key however often it is sent,
counted at the provider adapter; replays, reused keys, declines, a provider that is
down, webhooks, and the deposit refunded at move-out.

The provider is the local stack's stripe-mock (apps.payments.provider)."""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client

from apps.payments import ledger
from apps.payments.contracts import PAYMENT_FAILED, PAYMENT_SUCCEEDED, PAYOUT_SCHEDULED
from apps.payments.models import Account, Charge, LedgerEntry, Payment, Payout
from apps.payments.tests.support import (
    API,
    events_of,
    intent_event,
    make_user,
    open_payment,
    pay,
    provider_calls,
    signed_webhook,
)

pytestmark = pytest.mark.django_db


def test_a_payment_is_charged_once_and_a_replay_gets_the_same_answer(client, landlord, renter):
    payment = open_payment(landlord, renter)
    before = provider_calls()
    first = pay(client, payment.id, renter, key="key-1")
    assert first.status_code == 200, first.json()
    body = first.json()
    assert body["payment"]["status"] == "paid"
    assert body["payment"]["amount_due"] == {"amount": "0.00", "currency": "EUR"}
    assert body["charge"]["status"] == "succeeded"
    replay = pay(client, payment.id, renter, key="key-1")
    assert (replay.status_code, replay.json()) == (200, body)
    assert replay["Idempotent-Replayed"] == "true"
    assert provider_calls() == before + 1  # the replay never reached the provider
    # The same key for another request: refused, nothing run.
    reused = pay(client, payment.id, renter, key="key-1", method="pm_card_mastercard")
    assert reused.status_code == 422
    assert "Idempotency-Key" in reused.json()["detail"]
    # A new key for a paid payment: a 409, not a second charge.
    assert pay(client, payment.id, renter, key="key-2").status_code == 409
    assert provider_calls() == before + 1
    settled = LedgerEntry.objects.filter(payment_id=payment.id, kind="payment_settled")
    assert settled.count() == 1
    assert ledger.balance(account=Account.PROVIDER_CASH, currency="EUR", renter_id=renter.id) == (
        Decimal("4350.00")
    )
    (succeeded,) = events_of(payment.id, "payment_succeeded")
    PAYMENT_SUCCEEDED.validate_payload(succeeded["payload"])
    (scheduled,) = events_of(payment.id, "payout_scheduled")
    PAYOUT_SCHEDULED.validate_payload(scheduled["payload"])
    assert scheduled["payload"]["amount"] == {"amount": "1377.50", "currency": "EUR"}
    assert Payout.objects.get(pk=payment.id).amount == Decimal("1377.50")
    payouts = client.get(f"{API}/payouts", headers=landlord.header)
    assert [p["payment_id"] for p in payouts.json()["results"]] == [str(payment.id)]


def test_bad_requests_get_field_messages(client, landlord, renter):
    payment = open_payment(landlord, renter)
    missing = pay(client, payment.id, renter, key=None)
    assert missing.status_code == 400
    assert "Idempotency-Key" in missing.json()
    bad_method = pay(client, payment.id, renter, key="k", method="4242 4242 4242 4242")
    assert bad_method.status_code == 400
    assert "payment_method" in bad_method.json()
    not_a_test_method = pay(client, payment.id, renter, key="k2", method="pm_card_unknown")
    assert not_a_test_method.status_code == 400
    assert "payment_method" in not_a_test_method.json()
    stranger = make_user("renter")
    assert pay(client, payment.id, stranger, key="k3").status_code == 404
    assert pay(client, payment.id, landlord, key="k4").status_code == 403
    assert Payment.objects.get(pk=payment.id).status == "due"
    assert not Charge.objects.exists()


def test_a_declined_card_fails_the_charge_and_the_payment_is_due_again(client, landlord, renter):
    payment = open_payment(landlord, renter)
    declined = pay(client, payment.id, renter, key="first", method="pm_card_chargeDeclined")
    assert declined.status_code == 402
    assert declined.json() == {"detail": "Your card was declined.", "code": "card_declined"}
    assert Payment.objects.get(pk=payment.id).status == "due"
    (failed,) = events_of(payment.id, "payment_failed")
    PAYMENT_FAILED.validate_payload(failed["payload"])
    assert not LedgerEntry.objects.filter(payment_id=payment.id, kind="payment_settled").exists()
    assert pay(client, payment.id, renter, key="second").status_code == 200
    assert Payment.objects.get(pk=payment.id).status == "paid"


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_requests_with_one_key_make_one_charge(landlord, renter):
    payment = open_payment(landlord, renter)
    before = provider_calls()
    answers: list = []

    def submit() -> None:
        try:
            answers.append(pay(Client(), payment.id, renter, key="one-key"))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(answers) == 20
    assert {answer.status_code for answer in answers} == {200}
    assert all(answer.json() == answers[0].json() for answer in answers)
    assert sum(answer.has_header("Idempotent-Replayed") for answer in answers) == 19
    assert provider_calls() == before + 1
    assert Charge.objects.filter(payment_id=payment.id).count() == 1
    assert LedgerEntry.objects.filter(payment_id=payment.id, kind="payment_settled").count() == 1


def test_a_payment_sent_while_the_provider_is_down_is_settled_by_its_webhook_once(
    client, settings, landlord, renter
):
    payment = open_payment(landlord, renter)
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    settings.STRIPE_MAX_RETRIES = 0
    sent = pay(client, payment.id, renter, key="k")
    assert sent.status_code == 202
    assert sent.json()["payment"]["status"] == "processing"
    charge = Charge.objects.get(payment_id=payment.id)
    assert charge.status == "processing"
    # While processing, another charge is refused rather than risked.
    assert pay(client, payment.id, renter, key="other").status_code == 409
    body, signature = signed_webhook(
        intent_event("payment_intent.succeeded", intent_id="pi_test_1", charge_id=charge.id)
    )
    webhook = f"{API}/webhooks/stripe"
    forged = client.post(
        webhook,
        body,
        content_type="application/json",
        headers={"Stripe-Signature": signature.replace("v1=", "v1=0")},
    )
    assert forged.status_code == 400
    assert Payment.objects.get(pk=payment.id).status == "processing"
    for expected in (True, False):  # the redelivery of one event id is a no-op
        answer = client.post(
            webhook, body, content_type="application/json", headers={"Stripe-Signature": signature}
        )
        assert answer.status_code == 200
        assert answer.json()["applied"] is expected
    assert Payment.objects.get(pk=payment.id).status == "paid"
    assert Charge.objects.get(pk=charge.id).provider_intent_id == "pi_test_1"
    assert LedgerEntry.objects.filter(payment_id=payment.id, kind="payment_settled").count() == 1
    assert len(events_of(payment.id, "payment_succeeded")) == 1


def test_the_landlord_refunds_the_deposit_once(client, landlord, renter):
    payment = open_payment(landlord, renter)
    assert pay(client, payment.id, renter, key="k").status_code == 200
    url = f"{API}/{payment.id}/refund-deposit"
    assert client.post(url, headers=renter.header).status_code == 403
    refunded = client.post(url, headers=landlord.header)
    assert refunded.status_code == 200
    assert refunded.json()["deposit_refunded_at"]
    assert client.post(url, headers=landlord.header).status_code == 409
    assert ledger.balance(account=Account.DEPOSITS_HELD, currency="EUR", party_id=renter.id) == 0
    assert ledger.balance(account=Account.PROVIDER_CASH, currency="EUR", renter_id=renter.id) == (
        Decimal("1450.00")
    )
    assert len(events_of(payment.id, "deposit_refunded")) == 1
