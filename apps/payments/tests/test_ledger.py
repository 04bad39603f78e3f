"""The ledger's rules hold in the database itself: an unbalanced entry, a lone line,
an UPDATE or a DELETE is refused whatever code tries it; balances are derived."""

import uuid
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from apps.payments import ledger
from apps.payments.models import Account, LedgerEntry, LedgerLine
from apps.payments.tests.support import open_payment

pytestmark = pytest.mark.django_db


def test_an_opened_payment_posts_one_balanced_entry_and_balances_follow(landlord, renter):
    payment = open_payment(landlord, renter, rent="1450.00", deposit="2900.00")
    (entry,) = LedgerEntry.objects.filter(payment_id=payment.id)
    lines = {line.account: line.amount for line in LedgerLine.objects.filter(entry_id=entry.id)}
    assert lines == {
        Account.RENTER_RECEIVABLE: Decimal("4350.00"),
        Account.LANDLORD_PAYABLE: Decimal("-1377.50"),
        Account.PLATFORM_FEES: Decimal("-72.50"),
        Account.DEPOSITS_HELD: Decimal("-2900.00"),
    }
    assert ledger.balance(
        account=Account.RENTER_RECEIVABLE, currency="EUR", party_id=renter.id
    ) == Decimal("4350.00")
    assert ledger.balance(
        account=Account.LANDLORD_PAYABLE, currency="EUR", party_id=landlord.id
    ) == Decimal("-1377.50")


def test_the_database_refuses_an_unbalanced_entry(landlord, renter):
    payment = open_payment(landlord, renter)
    with pytest.raises(DatabaseError, match="does not balance"), transaction.atomic():
        ledger.post(
            payment=payment,
            kind=LedgerEntry.Kind.DEPOSIT_REFUNDED,
            lines=[
                ledger.Line(Account.DEPOSITS_HELD, Decimal("100.00")),
                ledger.Line(Account.PROVIDER_CASH, Decimal("-99.99")),
            ],
        )


def write_raw_entry(payment, lines: list[tuple[str, str, str]]) -> None:
    """An entry and its lines written past ledger.post, checked at once as at commit."""
    with transaction.atomic():
        entry = LedgerEntry.objects.create(
            id=uuid.uuid4(),
            renter_id=payment.renter_id,
            payment_id=payment.id,
            kind="deposit_refunded",
        )
        LedgerLine.objects.bulk_create(
            LedgerLine(
                renter_id=payment.renter_id,
                entry_id=entry.id,
                account=account,
                amount=Decimal(amount),
                currency=currency,
            )
            for account, amount, currency in lines
        )
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_the_database_refuses_lines_that_balance_only_across_currencies(landlord, renter):
    payment = open_payment(landlord, renter)
    lines = [(Account.PROVIDER_CASH, "10.00", "EUR"), (Account.DEPOSITS_HELD, "-10.00", "USD")]
    with pytest.raises(DatabaseError, match="does not balance"):
        write_raw_entry(payment, lines)


def test_an_entry_without_lines_is_refused(landlord, renter):
    payment = open_payment(landlord, renter)
    with pytest.raises(DatabaseError, match="fewer than two lines"):
        write_raw_entry(payment, [])
    # Balanced in each currency: accepted.
    write_raw_entry(
        payment,
        [
            (Account.PROVIDER_CASH, "10.00", "EUR"),
            (Account.DEPOSITS_HELD, "-10.00", "EUR"),
            (Account.PROVIDER_CASH, "5.00", "USD"),
            (Account.DEPOSITS_HELD, "-5.00", "USD"),
        ],
    )


def test_entries_and_lines_are_immutable(landlord, renter):
    payment = open_payment(landlord, renter)
    entry = LedgerEntry.objects.get(payment_id=payment.id)
    for attempt in (
        lambda: LedgerLine.objects.filter(entry_id=entry.id).update(amount=Decimal("1.00")),
        lambda: LedgerLine.objects.filter(entry_id=entry.id).delete(),
        lambda: LedgerEntry.objects.filter(pk=entry.id).update(kind="payment_settled"),
        lambda: LedgerEntry.objects.filter(pk=entry.id).delete(),
    ):
        with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
            attempt()
    assert LedgerLine.objects.filter(entry_id=entry.id).count() == 4


def test_a_second_entry_of_one_kind_for_a_payment_is_refused(landlord, renter):
    payment = open_payment(landlord, renter)
    with pytest.raises(DatabaseError), transaction.atomic():
        ledger.post(
            payment=payment,
            kind=LedgerEntry.Kind.PAYMENT_OPENED,
            lines=ledger.opened_lines(payment),
        )
