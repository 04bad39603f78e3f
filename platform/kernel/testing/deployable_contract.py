"""Checks every deployable must pass, run inside each context's own test suite.

A context's tests import this module's tests (`from kernel.testing.deployable_contract
import *`), so each deployable is checked with its own settings: its own role, its
own schema, its own URLconf and installed apps.
"""

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection

PLATFORM_APP_LABELS = {
    "admin",
    "auth",
    "contenttypes",
    "sessions",
    "messages",
    "staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "kernel",
}


def _context_label() -> str:
    return settings.HEARTH_SERVICE


def test_installs_only_its_own_context_and_the_platform():
    labels = {config.label for config in apps.get_app_configs()}
    assert labels == PLATFORM_APP_LABELS | {_context_label()}


def test_no_foreign_key_leaves_the_context():
    # Django's own apps share the deployable's schema (the admin log points at
    # the user); only another context would be out of bounds.
    allowed = PLATFORM_APP_LABELS | {_context_label()}
    for model in apps.get_app_config(_context_label()).get_models():
        for field in model._meta.get_fields():
            target = field.related_model
            if field.is_relation and target is not None:
                assert target._meta.app_label in allowed, (
                    f"{model.__name__}.{field.name} points into {target._meta.app_label}: "
                    "contexts refer to each other by id, never by foreign key"
                )


@pytest.mark.django_db
def test_every_table_lives_in_the_deployables_schema():
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        assert cursor.fetchone()[0] == _context_label()
        cursor.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema = 'public'"
        )
        assert cursor.fetchall() == []
    tables = set(connection.introspection.table_names())
    for model in apps.get_models():
        assert model._meta.db_table in tables


@pytest.mark.django_db
def test_probes_answer_through_the_public_prefix(client):
    prefix = f"/api/v1/{_context_label()}"
    assert client.get("/healthz").status_code == 200
    ready = client.get(f"{prefix}/readyz")
    assert ready.status_code == 200, ready.json()
    assert ready.json()["checks"] == {"database": "ok", "redis": "ok", "kafka": "ok"}


@pytest.mark.django_db
def test_migrations_match_the_models():
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_every_published_event_has_a_valid_schema_with_valid_examples():
    from kernel.events.registry import published_catalogues

    for catalogue in published_catalogues():
        assert catalogue.source == _context_label()
        assert catalogue.topic == f"hearth.{_context_label()}.v{catalogue.major_version}"
        for event in catalogue.events.values():
            event.validate_examples()


def test_every_payload_reader_matches_its_event_schema():
    """A consumer's reader of an event is its schema, field for field: names,
    required, nullable, types and formats, and each status enum's values."""
    from kernel.events.registry import published_catalogues

    for catalogue in published_catalogues():
        for event in catalogue.events.values():
            assert event.reader_mismatches() == [], event.name


def test_the_event_catalogue_doc_says_what_this_deployable_consumes():
    """docs/events.md's "consumed by" column, held to this deployable's consumers."""
    from kernel.events.registry import consumer_specs
    from kernel.testing.catalogue_doc import catalogue_rows

    handled = {event for spec in consumer_specs().values() for event in spec.handlers}
    rows = catalogue_rows(settings.BASE_DIR / "docs" / "events.md")
    documented = {row.event for row in rows if _context_label() in row.consumed_by}
    assert documented == handled


def test_api_index_is_browsable_and_links_schema_and_docs(client):
    response = client.get(f"/api/v1/{_context_label()}/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    page = response.content.decode()
    assert f"Hearth {_context_label()} API" in page
    assert f"/api/v1/{_context_label()}/schema/" in page


def test_openapi_schema_and_docs_are_served(client):
    schema = client.get(f"/api/v1/{_context_label()}/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == f"Hearth {_context_label()} API"
    docs = client.get(f"/api/v1/{_context_label()}/docs/")
    assert docs.status_code == 200
    assert "swagger-ui" in docs.content.decode()


def test_openapi_schema_generates_without_warnings(tmp_path):
    from django.core.management import call_command

    # Every view documented: inference gaps surface here, not in clients' code.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", tmp_path / "s.yaml")


def test_citus_plan_places_every_model_within_citus_rules():
    from kernel.db.citus import check_plan, deployable_plan

    labels = [
        model._meta.label
        for model in apps.get_models()
        if model._meta.app_label in (_context_label(), "kernel")
    ]
    assert check_plan(deployable_plan(), labels) == []


@pytest.mark.django_db
def test_the_database_has_the_keys_and_unique_rules_the_citus_plan_relies_on():
    from kernel.db.citus import check_schema, deployable_plan

    assert check_schema(deployable_plan(), connection) == []


@pytest.mark.django_db
def test_citus_command_prints_the_plan_and_says_citus_is_absent():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("citus", stdout=out)
    assert "kernel.OutboxEvent: local to the coordinator" in out.getvalue()
    assert "citus extension is not installed" in out.getvalue()


def test_served_openapi_schema_is_the_committed_one():
    """docs/api/<deployable>.yaml is the contract clients trust: any change to what
    the deployable serves shows in review as a change to that file."""
    from kernel.api import contract
    from kernel.management.commands.api_schema import served_schema

    service = _context_label()
    assert served_schema(service) == contract.load_committed(service), (
        f"the served schema differs from docs/api/{service}.yaml: rewrite it with "
        f"`HEARTH_SERVICE={service} .venv/bin/python manage.py api_schema`, and name any "
        "breaking change it prints in docs/api/CHANGELOG.md"
    )


def test_breaking_changes_to_the_committed_schema_are_in_the_changelog():
    """Against the copy in git at HEARTH_API_BASE_REF (HEAD by default; CI gives the
    branch it merges into)."""
    import os

    from kernel.api import contract

    service = _context_label()
    base = contract.load_from_git(service, os.environ.get("HEARTH_API_BASE_REF") or "HEAD")
    if base is None:
        pytest.skip(f"docs/api/{service}.yaml is not in git yet: nothing to break")
    committed = contract.load_committed(service)
    assert contract.unnamed_breaking_changes(service, base, committed) == []
