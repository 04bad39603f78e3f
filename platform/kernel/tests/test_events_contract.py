"""The event contract: envelopes and payloads are checked against their schemas
when produced; readers ignore what they do not know."""

import uuid
from datetime import UTC, datetime

import pytest
from django.db import transaction

from kernel.events.envelope import Envelope
from kernel.events.outbox import NotInTransaction, publish_event
from kernel.events.types import EventSchemaError
from kernel.models import OutboxEvent
from kernel.testing.probe import EVENTS, PROBE_RECORDED


@pytest.mark.django_db
def test_an_invalid_payload_fails_loudly_and_writes_nothing():
    with pytest.raises(EventSchemaError) as error, transaction.atomic():
        publish_event(PROBE_RECORDED, aggregate_id="p-1", payload={"sequence": -1, "extra": True})
    message = str(error.value)
    assert "sequence: -1 is less than the minimum of 0" in message
    assert "'note' is a required property" in message
    assert "Additional properties are not allowed ('extra' was unexpected)" in message
    assert not OutboxEvent.objects.exists()


@pytest.mark.django_db(transaction=True, available_apps=["kernel"])  # no transaction around it
def test_publishing_outside_a_transaction_is_refused():
    with pytest.raises(NotInTransaction):
        publish_event(PROBE_RECORDED, aggregate_id="p-1", payload={"sequence": 1, "note": ""})


@pytest.mark.django_db
def test_the_outbox_row_carries_a_complete_envelope():
    with transaction.atomic():
        envelope = publish_event(
            PROBE_RECORDED, aggregate_id=42, payload={"sequence": 1, "note": "hello"}
        )
    row = OutboxEvent.objects.get(event_id=envelope.event_id)
    assert row.topic == "hearth.kernel_tests.v1"
    assert row.key == "42"
    stored = Envelope.from_dict(row.envelope)
    assert stored == envelope
    assert stored.source == "kernel_tests"
    assert stored.aggregate_type == "probe"
    assert stored.schema_version == 1
    assert stored.causation_id is None
    assert stored.correlation_id


def test_readers_ignore_fields_they_do_not_know():
    envelope = Envelope(
        event_id=uuid.uuid4(),
        event_type="kernel_tests.probe_recorded",
        schema_version=1,
        source="kernel_tests",
        aggregate_type="probe",
        aggregate_id="1",
        occurred_at=datetime.now(UTC),
        correlation_id="c",
        causation_id=None,
        payload={"sequence": 1, "note": "", "added_in_a_later_version": True},
    )
    newer = {**envelope.to_dict(), "partition_hint": 7}
    assert Envelope.from_dict(newer) == envelope


@pytest.mark.parametrize("event", list(EVENTS.events.values()), ids=lambda e: e.name)
def test_every_declared_event_has_a_valid_schema_and_examples(event):
    assert event.schema_path.exists(), f"{event.name} v{event.version} has no schema file"
    event.validate_examples()


@pytest.mark.django_db
def test_pruning_deletes_only_rows_published_long_ago():
    from datetime import timedelta

    from django.utils import timezone

    from kernel.events.outbox import prune_published

    with transaction.atomic():
        old, recent, pending = (
            publish_event(PROBE_RECORDED, aggregate_id=n, payload={"sequence": n, "note": ""})
            for n in range(3)
        )
    now = timezone.now()
    OutboxEvent.objects.filter(event_id=old.event_id).update(published_at=now - timedelta(days=4))
    OutboxEvent.objects.filter(event_id=recent.event_id).update(
        published_at=now - timedelta(hours=1)
    )

    assert prune_published(older_than=timedelta(days=3), batch_size=1) == 1
    remaining = set(OutboxEvent.objects.values_list("event_id", flat=True))
    assert remaining == {recent.event_id, pending.event_id}
