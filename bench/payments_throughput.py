"""Move-in payments per second, and what the Idempotency-Key layer costs, in one run.

    flock /tmp/hearth-suite-payments.lock .venv/bin/python bench/payments_throughput.py \
        [--payments 300]

Needs the local stack (`make up`): PostgreSQL and stripe-mock. Runs in process, as the
payments deployable, against the test database (hearth_test: the payments suite's,
hence its lock; the bench migrates it, and empties payments' tables at the end), so
no relay publishes its events and nobody is emailed.

Opens `--payments` x 2 payments (ledger entry and payment_requested event each, as an
approval does), then pays them one after another, the two modes taking turns:

- bare: services.payment_pay (two transactions and one stripe-mock call per payment);
- keyed: the same inside idempotency.run, as the API does (an advisory lock, a
  lookup of the key, the answer stored).

Prints payments per second and p50/p99 latency per mode, and keyed/bare.
"""

import argparse
import logging
import os
import statistics
import sys
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["HEARTH_SERVICE"] = "payments"
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.payments"
os.environ["DATABASE_NAME"] = os.environ.get("DATABASE_TEST_NAME", "hearth_test")

import django

django.setup()
# The SDK logs every request at INFO: 800 lines that bury the figures.
logging.getLogger("stripe").setLevel(logging.WARNING)

from django.core.management import call_command
from django.db import connection, transaction

from apps.payments import idempotency, services
from apps.payments.models import ListingTerms, PendingApproval
from apps.payments.provider import PROVIDER_CALLS
from bench._stats import interleaved, percentile

TABLES = [
    "charge",
    "idempotencykey",
    "ledgerentry",
    "ledgerline",
    "listingterms",
    "payment",
    "payout",
    "pendingapproval",
    "providerevent",
]


def provider_calls() -> float:
    return sum(
        s.value for m in PROVIDER_CALLS.collect() for s in m.samples if s.name.endswith("_total")
    )


def open_payments(count: int) -> list[tuple[uuid.UUID, uuid.UUID]]:
    terms = ListingTerms.objects.create(
        listing_id=uuid.uuid4(),
        landlord_id=uuid.uuid4(),
        title="Bench flat",
        monthly_rent_amount=Decimal("1450.00"),
        deposit_amount=Decimal("2900.00"),
        currency="EUR",
        updated_at=datetime.now(UTC),
    )
    opened = []
    for _ in range(count):
        approval = PendingApproval(
            application_id=uuid.uuid4(),
            listing_id=terms.listing_id,
            renter_id=uuid.uuid4(),
            landlord_id=terms.landlord_id,
            listing_title=terms.title,
            approved_at=datetime.now(UTC),
        )
        with transaction.atomic():
            payment = services._open(approval, terms)
        opened.append((payment.id, payment.renter_id))
    return opened


def pay_bare(payment_id, renter_id) -> None:
    services.payment_pay(
        payment_id=payment_id,
        renter_id=renter_id,
        payment_method="pm_card_visa",
        client_key=uuid.uuid4().hex,
    )


def pay_keyed(payment_id, renter_id) -> None:
    key = uuid.uuid4().hex

    def compute() -> idempotency.Answer:
        pay_bare(payment_id, renter_id)
        return idempotency.Answer(200, {"paid": str(payment_id)})

    idempotency.run(
        renter_id=renter_id,
        key=key,
        fingerprint=idempotency.request_hash("POST", f"/{payment_id}/pay", {"m": "pm_card_visa"}),
        compute=compute,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--payments", type=int, default=300, help="per mode")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    try:
        modes = {"bare": pay_bare, "keyed": pay_keyed}
        queues = {mode: open_payments(args.payments) for mode in modes}
        for mode, pay in modes.items():  # warm up: connections, the SDK's session
            pay(*queues[mode].pop())
        calls_before = provider_calls()
        times = interleaved(modes, args.payments - 1, lambda mode: modes[mode](*queues[mode].pop()))
        calls = provider_calls() - calls_before
        print(
            f"payments per mode: {args.payments - 1}, provider calls: {calls:.0f} "
            f"(stripe-mock at {os.environ.get('STRIPE_API_BASE', 'the default base')})"
        )
        for mode, values in times.items():
            print(
                f"{mode:>6}: {len(values) / sum(values):7.1f} payments/s  "
                f"p50 {statistics.median(values) * 1e3:6.2f} ms  "
                f"p99 {percentile(values, 99) * 1e3:6.2f} ms"
            )
        bare, keyed = (statistics.median(times[m]) for m in ("bare", "keyed"))
        print(
            f"idempotency layer: keyed/bare p50 = {keyed / bare:.3f} "
            f"({(keyed - bare) * 1e3:+.2f} ms per payment)"
        )
    finally:
        with connection.cursor() as cursor:
            tables = ", ".join(f"payments_{t}" for t in TABLES)
            cursor.execute(f"TRUNCATE {tables}, outbox")


if __name__ == "__main__":
    main()
