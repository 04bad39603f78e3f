"""The database's primary keys include renter_id, the column Citus distributes every
renter's table by (apps.payments.sharding, which also says why ids stay unique).

Database only: the models keep their one-column primary keys, which Django's admin
needs, so Django's state does not change. Each lookup by the model's pk keeps a plain
index. Django's schema editor finds a primary key by its one column: a later
migration that alters or drops one of these pk fields must do it in SQL too.

The ledger's line check finds its entry by the new key, (renter_id, entry_id): a line
of another renter than its entry's is refused, since on Citus it would sit on
another shard; and the sums the checks read stay on the renter's shard.
"""

from django.db import migrations

# table: the model's pk column
PRIMARY_KEYS = {
    "payments_payment": "id",
    "payments_charge": "id",
    "payments_payout": "id",
    "payments_ledgerentry": "id",
    "payments_ledgerline": "id",
    "payments_idempotencykey": "id",
    "payments_pendingapproval": "application_id",
}


def _rekey(table: str, *columns: str) -> str:
    return (
        f"ALTER TABLE {table} DROP CONSTRAINT {table}_pkey, "
        f"ADD CONSTRAINT {table}_pkey PRIMARY KEY ({', '.join(columns)});"
    )


RENTER_KEYS_SQL = "\n".join(
    _rekey(table, "renter_id", pk) + f"\nCREATE INDEX {table}_{pk}_lookup ON {table} ({pk});"
    for table, pk in PRIMARY_KEYS.items()
)

ONE_COLUMN_KEYS_SQL = "\n".join(
    f"DROP INDEX {table}_{pk}_lookup;\n" + _rekey(table, pk) for table, pk in PRIMARY_KEYS.items()
)


RENTER_CHECKS_SQL = """
CREATE OR REPLACE FUNCTION ledger_check_line() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    off record;
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM payments_ledgerentry WHERE renter_id = NEW.renter_id AND id = NEW.entry_id
    ) THEN
        RAISE EXCEPTION 'ledger line % belongs to no entry of its renter (%)', NEW.id,
            NEW.entry_id USING ERRCODE = 'foreign_key_violation';
    END IF;
    SELECT currency, sum(amount) AS total INTO off FROM payments_ledgerline
        WHERE renter_id = NEW.renter_id AND entry_id = NEW.entry_id
        GROUP BY currency HAVING sum(amount) <> 0 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger entry % does not balance: its % lines sum to %',
            NEW.entry_id, off.currency, off.total USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION ledger_check_entry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (
        SELECT count(*) FROM payments_ledgerline
        WHERE renter_id = NEW.renter_id AND entry_id = NEW.id
    ) < 2 THEN
        RAISE EXCEPTION 'ledger entry % has fewer than two lines', NEW.id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
"""

# Migration 0002's functions, as they were.
ID_CHECKS_SQL = """
CREATE OR REPLACE FUNCTION ledger_check_line() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    off record;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM payments_ledgerentry WHERE id = NEW.entry_id) THEN
        RAISE EXCEPTION 'ledger line % belongs to no entry (%)', NEW.id, NEW.entry_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    SELECT currency, sum(amount) AS total INTO off FROM payments_ledgerline
        WHERE entry_id = NEW.entry_id GROUP BY currency HAVING sum(amount) <> 0 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger entry % does not balance: its % lines sum to %',
            NEW.entry_id, off.currency, off.total USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION ledger_check_entry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT count(*) FROM payments_ledgerline WHERE entry_id = NEW.id) < 2 THEN
        RAISE EXCEPTION 'ledger entry % has fewer than two lines', NEW.id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [("payments", "0002_ledger_rules")]

    operations = [
        # RunSQL leaves Django's state as it is, which is what is wanted here.
        migrations.RunSQL(RENTER_KEYS_SQL, ONE_COLUMN_KEYS_SQL),
        migrations.RunSQL(RENTER_CHECKS_SQL, ID_CHECKS_SQL),
    ]
