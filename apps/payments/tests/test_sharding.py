"""Payments' Citus plan: every renter's table distributed by renter_id and colocated
with payments_payment, on database primary keys (renter_id, id) that migration 0003
makes while the models, and so the admin, keep their one-column keys."""

import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from apps.payments import sharding
from apps.payments.models import Charge, LedgerEntry, LedgerLine
from apps.payments.tests.support import open_payment, pay
from kernel.db.citus import check_schema, table_of

pytestmark = pytest.mark.django_db

RENTER_KEYED = [p for p in sharding.PLAN if getattr(p, "primary_key", None)]


def primary_key(table: str) -> list[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    (key,) = [c["columns"] for c in constraints.values() if c["primary_key"]]
    return key


def lookup_index(table: str, column: str) -> dict | None:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return constraints.get(f"{table}_{column}_lookup")


def migrate(target: str | None = None) -> None:
    """To a payments migration, or without one to the latest."""
    executor = MigrationExecutor(connection)
    targets = [("payments", target)] if target else executor.loader.graph.leaf_nodes("payments")
    executor.migrate(targets)


def test_every_renter_table_is_distributed_by_renter_and_colocated_with_payments():
    assert {p.model for p in RENTER_KEYED} == {
        "payments.Payment",
        "payments.Charge",
        "payments.Payout",
        "payments.LedgerEntry",
        "payments.LedgerLine",
        "payments.IdempotencyKey",
        "payments.PendingApproval",
    }
    for placement in RENTER_KEYED:
        assert placement.column == "renter_id"
        expected = None if placement.model == "payments.Payment" else "payments.Payment"
        assert placement.colocate_with == expected


def test_the_migration_makes_the_keys_composite_and_reverts_them():
    # Inside the test's transaction (PostgreSQL's DDL is transactional): rolled back after.
    for placement in RENTER_KEYED:
        table, pk = table_of(placement.model), placement.primary_key[1]
        assert primary_key(table) == list(placement.primary_key)
        index = lookup_index(table, pk)
        assert index["columns"] == [pk]
        assert not index["unique"]

    migrate("0002_ledger_rules")
    for placement in RENTER_KEYED:
        table, pk = table_of(placement.model), placement.primary_key[1]
        assert primary_key(table) == [pk]
        assert lookup_index(table, pk) is None
    assert len(check_schema(sharding.PLAN, connection)) == len(RENTER_KEYED)

    migrate()
    assert check_schema(sharding.PLAN, connection) == []


def write_balanced_lines(*, renter_id, entry_id, currency: str) -> None:
    """Two lines written past ledger.post, checked at once as at commit."""
    with transaction.atomic():
        LedgerLine.objects.bulk_create(
            LedgerLine(
                renter_id=renter_id,
                entry_id=entry_id,
                account="provider_cash",
                amount=amount,
                currency=currency,
            )
            for amount in ("10.00", "-10.00")
        )
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_a_ledger_line_of_another_renter_than_its_entrys_is_refused(landlord, renter):
    payment = open_payment(landlord, renter)
    entry = LedgerEntry.objects.get(payment_id=payment.id)
    with pytest.raises(DatabaseError, match="belongs to no entry of its renter"):
        write_balanced_lines(renter_id=landlord.id, entry_id=entry.id, currency="EUR")
    write_balanced_lines(renter_id=renter.id, entry_id=entry.id, currency="EUR")
    assert LedgerLine.objects.filter(renter_id=renter.id, entry_id=entry.id).count() == 6


def test_the_citus_command_prints_the_renter_plan():
    out = StringIO()
    call_command("citus", stdout=out)
    printed = out.getvalue()
    assert (
        "payments.LedgerLine: distributed by renter_id, colocated with payments.Payment, "
        "primary key (renter_id, id)" in printed
    )
    assert (
        "SELECT create_distributed_table('payments_ledgerline', 'renter_id', "
        "colocate_with => 'payments_payment');" in printed
    )
    assert "payments.Payment: distributed by renter_id, primary key (renter_id, id)" in printed
    assert "payments.ListingTerms: reference" in printed


def test_the_ledger_admin_reads_entries_and_lines_by_their_one_column_keys(
    admin_client, landlord, renter
):
    payment = open_payment(landlord, renter)
    entry = LedgerEntry.objects.get(payment_id=payment.id)
    line = LedgerLine.objects.filter(entry_id=entry.id).first()
    for path in (
        "payments/payment/",
        f"payments/payment/{payment.id}/change/",
        "payments/ledgerentry/",
        f"payments/ledgerentry/{entry.id}/change/",
        f"payments/ledgerline/{line.id}/change/",
    ):
        answer = admin_client.get(f"/admin/payments/{path}")
        assert answer.status_code == 200, path


def test_the_database_refuses_a_second_successful_charge_of_a_payment(client, landlord, renter):
    payment = open_payment(landlord, renter)
    assert pay(client, payment.id, renter, key="key-1").status_code == 200
    (charge,) = Charge.objects.filter(renter_id=renter.id, payment_id=payment.id)
    charge.pk = uuid.uuid4()
    with pytest.raises(IntegrityError, match="charge_one_success"), transaction.atomic():
        charge.save(force_insert=True)
