"""Reconciliation: a charge whose answer and webhook were both lost still ends paid,
once; the ledger agrees with the provider afterwards; a tampered record is reported;
staff see the report in the admin."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apps.payments.models import Charge, LedgerEntry, Payment
from apps.payments.reconciliation import reconcile
from apps.payments.tests.support import events_of, open_payment, pay, provider_calls

pytestmark = pytest.mark.django_db


def test_a_lost_answer_and_a_lost_webhook_end_consistent_through_reconciliation(
    client, settings, landlord, renter
):
    payment = open_payment(landlord, renter)
    base = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # the provider unreachable: no answer
    settings.STRIPE_MAX_RETRIES = 0
    assert pay(client, payment.id, renter, key="k").status_code == 202
    # The webhook never comes. Reconciliation while the provider is still down: unknown.
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("payments_reconcile", "--processing-older-than", "0", stdout=out)
    assert "still unknown" in out.getvalue()
    assert Payment.objects.get(pk=payment.id).status == "processing"

    from apps.payments import provider

    settings.STRIPE_API_BASE = base
    provider.client.cache_clear()
    provider.breaker.cache_clear()
    before = provider_calls()
    out = StringIO()
    call_command("payments_reconcile", "--processing-older-than", "0", stdout=out)
    assert "settled (its answer had been lost)" in out.getvalue()
    assert out.getvalue().rstrip().endswith("consistent")
    # Asked again with the charge's own key: the same charge, not a second one.
    assert provider_calls() == before + 1
    assert Payment.objects.get(pk=payment.id).status == "paid"
    assert Charge.objects.get(payment_id=payment.id).status == "succeeded"
    # A second run changes nothing.
    call_command("payments_reconcile", "--processing-older-than", "0", stdout=StringIO())
    assert LedgerEntry.objects.filter(payment_id=payment.id, kind="payment_settled").count() == 1
    assert len(events_of(payment.id, "payment_succeeded")) == 1


def test_a_ledger_that_disagrees_with_the_payment_is_reported(client, landlord, renter):
    payment = open_payment(landlord, renter)
    assert reconcile(processing_older_than=timedelta(0), dry_run=True).consistent
    # Marked paid behind the services' back: no settlement entry, so a mismatch.
    Payment.objects.filter(pk=payment.id).update(status="paid")
    report = reconcile(processing_older_than=timedelta(0), dry_run=True)
    assert not report.consistent
    assert any(str(payment.id) in mismatch for mismatch in report.mismatches)


def test_staff_see_the_reconciliation_report_in_the_admin(admin_client):
    answer = admin_client.get("/admin/payments/payments/ledgerentry/reconciliation/")
    assert answer.status_code == 200
    assert b"consistent" in answer.content
