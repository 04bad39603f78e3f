"""The probe event: a catalogue and a consumer shaped exactly like a context's
contracts and consumers modules, for the kernel's tests and the event benchmarks."""

from pathlib import Path

from django.db import connection

from kernel.events.consumer import ConsumerSpec
from kernel.events.envelope import Envelope
from kernel.events.types import EventCatalogue

EVENTS = EventCatalogue(source="kernel_tests", schema_dir=Path(__file__).parent / "schemas")
PROBE_RECORDED = EVENTS.declare("probe_recorded", version=1, aggregate_type="probe")

EFFECTS_TABLE = "probe_effects"


def create_effects_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {EFFECTS_TABLE} ("
            "event_id uuid NOT NULL, aggregate_id text NOT NULL, sequence int NOT NULL)"
        )


def record_effect(envelope: Envelope) -> None:
    """The read model: one row per applied event, duplicates included, so a test
    sees every effect an event had."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {EFFECTS_TABLE} VALUES (%s, %s, %s)",
            [envelope.event_id, envelope.aggregate_id, envelope.payload["sequence"]],
        )


def reset_effects() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {EFFECTS_TABLE}")


RECORDER = ConsumerSpec(
    group_id="hearth.kernel_tests.recorder",
    topics=(EVENTS.topic,),
    handlers={PROBE_RECORDED.name: record_effect},
    reset_read_model=reset_effects,
    backoff_seconds=0.05,
)
