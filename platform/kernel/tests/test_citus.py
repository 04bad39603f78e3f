"""The Citus plan checks: a declared database primary key is what check_plan reads,
and check_schema holds the real PostgreSQL to it, so a plan cannot claim a key or a
unique rule the schema does not have."""

import pytest
from django.db import connection

from kernel.db.citus import KERNEL_PLAN, Distributed, Local, Reference, check_plan, check_schema

OUTBOX = "kernel.OutboxEvent"
INBOX = "kernel.InboxEvent"


def test_a_declared_primary_key_replaces_the_models_in_the_plan_check():
    by_key = Distributed(OUTBOX, "key")
    assert check_plan([by_key], [OUTBOX]) == [
        "kernel.OutboxEvent: primary key ['id'] lacks the distribution column key",
        "kernel.OutboxEvent: unique event_id ['event_id'] lacks the distribution column key",
    ]
    declared = Distributed(OUTBOX, "event_id", primary_key=("event_id", "id"))
    assert check_plan([declared], [OUTBOX]) == []


def test_a_declared_primary_key_must_exist_and_hold_the_models_pk():
    assert check_plan([Distributed(OUTBOX, "event_id", primary_key=("event_id",))], []) == [
        "kernel.OutboxEvent: primary key ['event_id'] lacks the model's pk id"
    ]
    assert check_plan(
        [Distributed(OUTBOX, "event_id", primary_key=("event_id", "id", "shard"))], []
    ) == ["kernel.OutboxEvent: primary key has no column ['shard']"]


def test_colocation_needs_a_distributed_table_of_the_same_column_type():
    assert check_plan(
        [Reference(INBOX), Distributed(OUTBOX, "event_id", INBOX, ("event_id", "id"))], []
    ) == ["kernel.OutboxEvent: colocated with kernel.InboxEvent, not distributed"]
    mismatched = [
        Distributed(INBOX, "consumer_group", primary_key=("consumer_group", "id")),
        Distributed(OUTBOX, "event_id", INBOX, ("event_id", "id")),
    ]
    assert check_plan(mismatched, []) == [
        "kernel.OutboxEvent: event_id (UUIDField) and kernel.InboxEvent.consumer_group "
        "(CharField) differ in type, so they cannot be colocated"
    ]


@pytest.mark.django_db
def test_the_kernels_schema_holds_the_kernels_plan():
    assert check_schema(list(KERNEL_PLAN), connection) == []


@pytest.mark.django_db
def test_a_declared_primary_key_the_database_lacks_is_reported():
    declared = Distributed(OUTBOX, "event_id", primary_key=("event_id", "id"))
    assert check_plan([declared], [OUTBOX]) == []
    assert check_schema([declared], connection) == [
        "kernel.OutboxEvent: the database's primary key of outbox is ('id',), "
        "the plan's ('event_id', 'id')"
    ]


@pytest.mark.django_db
def test_the_database_is_held_to_a_composite_key_a_migration_made():
    # Rolled back with the test's transaction, as a migration's RunSQL would do it.
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE inbox DROP CONSTRAINT inbox_pkey, "
            "ADD CONSTRAINT inbox_pkey PRIMARY KEY (consumer_group, id)"
        )
    declared = Distributed(INBOX, "consumer_group", primary_key=("consumer_group", "id"))
    assert check_schema([declared], connection) == []
    assert check_schema([Local(INBOX, "the model's own key")], connection) == [
        "kernel.InboxEvent: the database's primary key of inbox is ('consumer_group', 'id'), "
        "the plan's ('id',)"
    ]


@pytest.mark.django_db
def test_a_hand_written_unique_index_without_the_distribution_column_is_reported():
    with connection.cursor() as cursor:
        cursor.execute("CREATE UNIQUE INDEX inbox_one_type ON inbox (event_type)")
    declared = Distributed(INBOX, "consumer_group", primary_key=("consumer_group", "id"))
    assert check_schema([declared], connection) == [
        "kernel.InboxEvent: the database's primary key of inbox is ('id',), "
        "the plan's ('consumer_group', 'id')",
        "kernel.InboxEvent: unique inbox_one_type ['event_type'] of inbox lacks the "
        "distribution column consumer_group",
    ]
