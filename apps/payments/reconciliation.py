"""Reconciliation: the ledger against the provider's records, and the ledger against
itself.

- A charge still processing (its answer lost: a timeout, a crash, a webhook that
  never came) is asked again with its own provider idempotency key, which Stripe
  answers with the same charge; the answer settles it as the webhook would have.
- A succeeded charge is looked up at the provider: its status, amount and currency
  must agree with ours.
- Each payment's ledger must agree with its status: paid means settled with nothing
  receivable, due means the whole total receivable.

Every mismatch is reported; only processing charges are changed (unless dry_run).
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from apps.payments import idempotency, ledger, provider, services
from apps.payments.contracts import PaymentStatus
from apps.payments.models import Account, Charge, LedgerEntry, Payment


@dataclass
class Report:
    checked_charges: int = 0
    settled: list[str] = field(default_factory=list)
    still_unknown: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    forgotten_keys: int = 0

    @property
    def consistent(self) -> bool:
        return not self.mismatches and not self.still_unknown

    def lines(self) -> list[str]:
        return [
            f"charges checked at the provider: {self.checked_charges}",
            *(f"settled (its answer had been lost): charge {c}" for c in self.settled),
            *(f"still unknown (provider unavailable): charge {c}" for c in self.still_unknown),
            *(f"MISMATCH: {m}" for m in self.mismatches),
            f"expired idempotency keys forgotten: {self.forgotten_keys}",
            "consistent" if self.consistent else "NOT consistent",
        ]


def reconcile(
    *, processing_older_than: timedelta = timedelta(minutes=1), dry_run: bool = False
) -> Report:
    report = Report()
    stale = timezone.now() - processing_older_than
    for charge in Charge.objects.filter(status=Charge.Status.PROCESSING, created_at__lte=stale):
        report.checked_charges += 1
        if dry_run:
            report.still_unknown.append(str(charge.id))
            continue
        result = services.charge_send(charge)
        if result is None or result.status == "processing":
            report.still_unknown.append(str(charge.id))
            continue
        services.charge_settle(charge_id=charge.id, result=result)
        report.settled.append(str(charge.id))
    for charge in Charge.objects.filter(status=Charge.Status.SUCCEEDED):
        report.checked_charges += 1
        try:
            record = provider.lookup(
                intent_id=charge.provider_intent_id,
                amount=charge.amount,
                currency=charge.currency,
                payment_method=charge.payment_method,
            )
        except provider.ProviderUnavailable:
            report.still_unknown.append(str(charge.id))
            continue
        ours = ("succeeded", charge.amount, charge.currency)
        theirs = (record.status, record.amount, record.currency)
        if ours != theirs:
            report.mismatches.append(f"charge {charge.id}: ledger {ours}, provider {theirs}")
    for payment in Payment.objects.all():
        report.mismatches.extend(_ledger_mismatches(payment))
    if not dry_run:
        report.forgotten_keys = idempotency.forget_expired()
    return report


def _ledger_mismatches(payment: Payment) -> list[str]:
    entries = LedgerEntry.objects.filter(renter_id=payment.renter_id, payment_id=payment.id)
    kinds = set(entries.values_list("kind", flat=True))
    receivable = ledger.payment_balance(payment, Account.RENTER_RECEIVABLE)
    problems = []
    if LedgerEntry.Kind.PAYMENT_OPENED not in kinds:
        problems.append(f"payment {payment.id}: no opening entry")
    paid = payment.status == PaymentStatus.PAID
    if paid != (LedgerEntry.Kind.PAYMENT_SETTLED in kinds):
        problems.append(f"payment {payment.id}: status {payment.status}, settled entry {not paid}")
    expected = 0 if paid else payment.total
    if receivable != expected:
        problems.append(f"payment {payment.id}: receivable {receivable}, expected {expected}")
    return problems
