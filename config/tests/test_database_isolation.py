"""Each deployable's role can use its own schema and nothing else, in the real
PostgreSQL, provisioned by the same code as production (config.provision)."""

import psycopg
import pytest
from django.conf import settings
from psycopg import sql

from config.provision import role_password

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def _connect_as(role: str) -> psycopg.Connection:
    """Signed in as the role, with its own password (the deployable's, as provisioned)."""
    db = settings.DATABASES["default"]
    return psycopg.connect(
        host=db["HOST"],
        port=db["PORT"],
        dbname=db["NAME"],
        user=role,
        password=role_password(role.removeprefix("hearth_")),
        autocommit=True,
    )


def test_a_role_reads_and_writes_its_own_schema():
    with _connect_as("hearth_listings") as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS listings.isolation_probe (id int)")
        conn.execute("INSERT INTO listings.isolation_probe VALUES (1)")
        assert conn.execute("SELECT count(*) FROM listings.isolation_probe").fetchone()[0] >= 1
        conn.execute("DROP TABLE listings.isolation_probe")


def test_a_role_cannot_read_another_contexts_schema():
    # kernel_tests is migrated for this suite, so its tables certainly exist.
    with (
        _connect_as("hearth_listings") as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege) as denied,
    ):
        conn.execute("SELECT * FROM kernel_tests.django_migrations")
    assert "permission denied for schema kernel_tests" in str(denied.value)


@pytest.mark.parametrize("schema", ["accounts", "payments", "public"])
def test_a_role_cannot_create_tables_outside_its_schema(schema):
    with (
        _connect_as("hearth_listings") as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege) as denied,
    ):
        conn.execute(sql.SQL("CREATE TABLE {}.intruder (id int)").format(sql.Identifier(schema)))
    assert "permission denied for schema" in str(denied.value)


def test_the_suites_own_tables_are_out_of_reach_of_every_context_role():
    from config.services import SERVICES

    for service in SERVICES.values():
        with (
            _connect_as(service.db_role) as conn,
            pytest.raises(psycopg.errors.InsufficientPrivilege),
        ):
            conn.execute("SELECT count(*) FROM kernel_tests.django_migrations")
