"""The ledger's rules, enforced by the database whatever code writes to it.

- Each entry's lines sum to zero per currency, and an entry has at least two lines:
  constraint triggers, deferred to commit so an entry and its lines can be written
  in any order within one transaction (ledger.post checks at once as well).
- Entries and lines are immutable: any UPDATE or DELETE raises. (TRUNCATE fires no
  row trigger: only the test runner's flush of a throwaway database uses it.)
"""

from django.db import migrations

SQL = """
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger rows are immutable: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END $$;

CREATE TRIGGER ledger_entry_immutable BEFORE UPDATE OR DELETE ON payments_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_line_immutable BEFORE UPDATE OR DELETE ON payments_ledgerline
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

CREATE FUNCTION ledger_check_line() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE CONSTRAINT TRIGGER ledger_line_balanced AFTER INSERT ON payments_ledgerline
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_line();

CREATE FUNCTION ledger_check_entry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT count(*) FROM payments_ledgerline WHERE entry_id = NEW.id) < 2 THEN
        RAISE EXCEPTION 'ledger entry % has fewer than two lines', NEW.id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER ledger_entry_has_lines AFTER INSERT ON payments_ledgerentry
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_entry();
"""

REVERSE_SQL = """
DROP TRIGGER ledger_entry_has_lines ON payments_ledgerentry;
DROP TRIGGER ledger_line_balanced ON payments_ledgerline;
DROP TRIGGER ledger_line_immutable ON payments_ledgerline;
DROP TRIGGER ledger_entry_immutable ON payments_ledgerentry;
DROP FUNCTION ledger_check_entry();
DROP FUNCTION ledger_check_line();
DROP FUNCTION ledger_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]

    operations = [migrations.RunSQL(SQL, REVERSE_SQL)]
