"""Test database for the suite's deployable: the real PostgreSQL of the local stack.

pytest-django would create the test database as the deployable's role, which may
only use its own schema. Instead the database is provisioned exactly as in
production (config.provision, as administrator), the suite's schema is recreated
empty, and the deployable's migrations run into it as its own role.
"""

import os

import psycopg
import pytest
from psycopg import sql


@pytest.fixture(scope="session")
def django_db_setup(django_db_blocker):
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    from config.provision import admin_conninfo, provision_all

    database = settings.DATABASES["default"]["TEST"]["NAME"]
    schema = settings.HEARTH_SERVICE
    provision_all(database=database, with_test_schemas=True)
    with psycopg.connect(admin_conninfo(), dbname=database, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
    provision_all(database=database, with_test_schemas=True)

    settings.DATABASES["default"]["NAME"] = database
    for connection in connections.all():
        connection.close()
        connection.settings_dict["NAME"] = database
    with django_db_blocker.unblock():
        call_command("migrate", interactive=False, verbosity=0)


@pytest.fixture
def maildir(settings):
    from pathlib import Path

    return Path(os.environ.get("HEARTH_MAILDIR", settings.BASE_DIR / "var" / "mail"))
