"""The double-entry ledger: entries of signed lines (debits positive, credits
negative) on five accounts, and balances summed from them.

A move-in payment posts at most one entry of each kind (LedgerEntry's unique
(payment, kind)):

    payment_opened     renter_receivable  +rent+deposit   (the renter owes it)
                       landlord_payable   -(rent - fee)   (owed to the landlord once paid)
                       platform_fees      -fee
                       deposits_held      -deposit
    payment_settled    provider_cash      +rent+deposit   (the provider collected it)
                       renter_receivable  -rent-deposit
    deposit_refunded   deposits_held      +deposit
                       provider_cash      -deposit

The database enforces what the code relies on (migration 0002): each entry's lines
sum to zero per currency and number at least two, checked when the transaction
commits; no entry or line is ever updated or deleted. post() checks the entry at
once too, so a wrong one fails where it was written.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Sum

from apps.payments.models import Account, LedgerEntry, LedgerLine, Payment, derived_id

# The constraint triggers of migration 0002.
BALANCE_CONSTRAINTS = "ledger_line_balanced, ledger_entry_has_lines"


@dataclass(frozen=True)
class Line:
    account: Account
    amount: Decimal  # debit > 0, credit < 0
    party_id: uuid.UUID | None = None


def post(*, payment: Payment, kind: LedgerEntry.Kind, lines: Iterable[Line]) -> LedgerEntry:
    """Write one entry in the caller's transaction; the database refuses it unless
    its lines balance. Call while holding the payment's row lock."""
    entry = LedgerEntry.objects.create(
        id=derived_id("entry", payment.id, kind),
        renter_id=payment.renter_id,
        payment_id=payment.id,
        kind=kind,
    )
    LedgerLine.objects.bulk_create(
        LedgerLine(
            renter_id=payment.renter_id,
            entry_id=entry.id,
            account=line.account,
            party_id=line.party_id,
            amount=line.amount,
            currency=payment.currency,
        )
        for line in lines
    )
    with connection.cursor() as cursor:
        # Check now rather than at commit, then defer again for the next entry.
        cursor.execute(f"SET CONSTRAINTS {BALANCE_CONSTRAINTS} IMMEDIATE")
        cursor.execute(f"SET CONSTRAINTS {BALANCE_CONSTRAINTS} DEFERRED")
    return entry


def opened_lines(payment: Payment) -> list[Line]:
    return [
        Line(Account.RENTER_RECEIVABLE, payment.total, payment.renter_id),
        Line(
            Account.LANDLORD_PAYABLE,
            -(payment.rent_amount - payment.fee_amount),
            payment.landlord_id,
        ),
        *([Line(Account.PLATFORM_FEES, -payment.fee_amount)] if payment.fee_amount else []),
        *(
            [Line(Account.DEPOSITS_HELD, -payment.deposit_amount, payment.renter_id)]
            if payment.deposit_amount
            else []
        ),
    ]


def settled_lines(payment: Payment) -> list[Line]:
    return [
        Line(Account.PROVIDER_CASH, payment.total),
        Line(Account.RENTER_RECEIVABLE, -payment.total, payment.renter_id),
    ]


def refunded_lines(payment: Payment) -> list[Line]:
    return [
        Line(Account.DEPOSITS_HELD, payment.deposit_amount, payment.renter_id),
        Line(Account.PROVIDER_CASH, -payment.deposit_amount),
    ]


def balance(
    *, account: Account, currency: str, party_id: uuid.UUID | str | None = None, **scope
) -> Decimal:
    """The account's balance (debits - credits), for one party or, without one, all;
    `scope` narrows the lines further (e.g. renter_id=...)."""
    lines = LedgerLine.objects.filter(account=account, currency=currency, **scope)
    if party_id is not None:
        lines = lines.filter(party_id=party_id)
    return lines.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")


def payment_balance(payment: Payment, account: Account) -> Decimal:
    """An account's balance from one payment's entries alone."""
    entries = LedgerEntry.objects.filter(renter_id=payment.renter_id, payment_id=payment.id)
    lines = LedgerLine.objects.filter(
        renter_id=payment.renter_id, entry_id__in=entries.values("id"), account=account
    )
    return lines.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
