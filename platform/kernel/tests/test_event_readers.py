"""Typed payload readers: what they read, what they refuse, and how the contract check
finds every way a reader can drift from its JSON Schema."""

import datetime
import re
import uuid
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

import pytest

from kernel.events.readers import Money, PayloadError, PayloadReader, schema_mismatches
from kernel.events.types import EventCatalogue
from kernel.testing.probe import EVENTS


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


@dataclass(frozen=True)
class Tag(PayloadReader):
    name: str
    note: str = ""


@dataclass(frozen=True)
class Thing(PayloadReader):
    thing_id: uuid.UUID
    colour: Colour
    price: Money
    size: float
    count: int
    done: bool
    made_on: datetime.date
    seen_at: datetime.datetime | None
    tags: tuple[Tag, ...]


MONEY = {
    "type": "object",
    "required": ["amount", "currency"],
    "properties": {"amount": {"type": "string"}, "currency": {"type": "string"}},
}
SCHEMA = {
    "type": "object",
    "required": [
        "thing_id",
        "colour",
        "price",
        "size",
        "count",
        "done",
        "made_on",
        "seen_at",
        "tags",
    ],
    "properties": {
        "thing_id": {"type": "string", "format": "uuid"},
        "colour": {"type": "string", "enum": ["red", "blue"]},
        "price": {"$ref": "money.json"},
        "size": {"type": "number"},
        "count": {"type": "integer"},
        "done": {"type": "boolean"},
        "made_on": {"type": "string", "format": "date"},
        "seen_at": {"type": ["string", "null"], "format": "date-time"},
        "tags": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name"],
                "properties": {"name": {"type": "string"}, "note": {"type": "string"}},
            },
        },
    },
}
PAYLOAD = {
    "thing_id": "00000000-0000-4000-8000-00000000000a",
    "colour": "red",
    "price": {"amount": "1450.50", "currency": "EUR"},
    "size": 2,
    "count": 3,
    "done": False,
    "made_on": "2027-01-01",
    "seen_at": "2026-11-25T09:00:00Z",
    "tags": [{"name": "new"}, {"name": "big", "note": "very"}],
    "added_later": "ignored by readers that do not know it",
}


def resolve(ref: str) -> dict:
    assert ref == "money.json"
    return MONEY


def test_a_reader_gives_typed_values_and_ignores_fields_it_does_not_know():
    thing = Thing.from_payload(PAYLOAD)
    assert thing.thing_id == uuid.UUID("00000000-0000-4000-8000-00000000000a")
    assert thing.colour is Colour.RED
    assert thing.price == Money(amount=Decimal("1450.50"), currency="EUR")
    assert (thing.size, thing.count, thing.done) == (2.0, 3, False)
    assert isinstance(thing.size, float)
    assert thing.made_on == datetime.date(2027, 1, 1)
    assert thing.seen_at == datetime.datetime(2026, 11, 25, 9, tzinfo=datetime.UTC)
    assert thing.tags == (Tag("new"), Tag("big", "very"))
    assert Thing.from_payload({**PAYLOAD, "seen_at": None}).seen_at is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"thing_id": None}, "Thing.thing_id may not be null"),
        ({"thing_id": "not-a-uuid"}, "Thing.thing_id"),
        ({"colour": "green"}, "Thing.colour"),
        ({"count": "3"}, "Thing.count: expected int"),
        ({"count": True}, "Thing.count: expected int"),
        ({"price": {"amount": "lots", "currency": "EUR"}}, "Money.amount"),
        ({"price": {"currency": "EUR"}}, "Money: amount is missing"),
        ({"tags": "new"}, "Thing.tags: expected list"),
        ({"made_on": "01/01/2027"}, "Thing.made_on"),
    ],
)
def test_a_payload_it_cannot_read_is_a_payload_error_naming_the_field(change, message):
    with pytest.raises(PayloadError, match=re.escape(message)):
        Thing.from_payload({**PAYLOAD, **change})


def test_a_missing_required_field_is_a_payload_error():
    payload = {name: value for name, value in PAYLOAD.items() if name != "made_on"}
    with pytest.raises(PayloadError, match="made_on is missing"):
        Thing.from_payload(payload)


def test_a_reader_that_matches_its_schema_has_no_mismatch():
    assert schema_mismatches(Thing, SCHEMA, resolve) == []


def _schema(**properties) -> dict:
    return {**SCHEMA, "properties": {**SCHEMA["properties"], **properties}}


@pytest.mark.parametrize(
    ("schema", "mismatch"),
    [
        (
            _schema(colour={"type": "string", "enum": ["red", "blue", "green"]}),
            "Thing.colour: Colour is ['blue', 'red'], the schema's enum ['blue', 'green', 'red']",
        ),
        (
            {**SCHEMA, "required": [n for n in SCHEMA["required"] if n != "done"]},
            "Thing.done: optional in the schema, not in the reader",
        ),
        (
            _schema(seen_at={"type": "string", "format": "date-time"}),
            "Thing.seen_at: null allowed by the reader, not by the schema",
        ),
        (
            _schema(count={"type": ["integer", "null"]}),
            "Thing.count: null refused by the reader, not by the schema",
        ),
        (_schema(thing_id={"type": "string"}), "Thing.thing_id: UUID in the reader"),
        (_schema(size={"type": "integer"}), "Thing.size: float in the reader"),
        (_schema(extra={"type": "string"}), "Thing.extra: in the schema, not in the reader"),
        (
            {
                **SCHEMA,
                "properties": {k: v for k, v in SCHEMA["properties"].items() if k != "done"},
            },
            "Thing.done: in the reader, not in the schema",
        ),
        (
            _schema(
                tags={
                    "type": "array",
                    "items": {**SCHEMA["properties"]["tags"]["items"], "required": []},
                }
            ),
            "Thing.tags[].name: optional in the schema, not in the reader",
        ),
        (_schema(price={"type": "string"}), "Thing.price: an object in the reader"),
    ],
)
def test_the_contract_check_finds_each_kind_of_drift(schema, mismatch):
    assert mismatch in "\n".join(schema_mismatches(Thing, schema, resolve))


def test_an_event_reads_its_envelopes_and_no_other_events():
    from kernel.testing.events import envelope_for

    @dataclass(frozen=True)
    class Recorded(PayloadReader):
        sequence: int
        note: str

    catalogue = EventCatalogue(source="kernel_tests", schema_dir=EVENTS.schema_dir)
    recorded = catalogue.declare(
        "probe_recorded", version=1, aggregate_type="probe", reader=Recorded
    )
    envelope = envelope_for(recorded, {"sequence": 7, "note": "hi"}, aggregate_id="p-1")

    assert recorded.read(envelope) == Recorded(sequence=7, note="hi")
    assert recorded.reader_mismatches() == []
    with pytest.raises(
        PayloadError, match=re.escape("kernel_tests.other read as kernel_tests.probe_recorded")
    ):
        recorded.read(replace(envelope, event_type="kernel_tests.other"))


def test_handlers_by_reader_give_each_event_the_handler_of_its_reader_and_skip_the_rest():
    catalogue = EventCatalogue(source="kernel_tests", schema_dir=EVENTS.schema_dir)
    made = catalogue.declare("thing_made", version=1, aggregate_type="thing", reader=Thing)
    tagged = catalogue.declare("thing_tagged", version=1, aggregate_type="thing", reader=Tag)
    catalogue.declare("thing_priced", version=1, aggregate_type="thing", reader=Money)
    catalogue.declare("thing_seen", version=1, aggregate_type="thing")  # no reader
    handlers = {Thing: "apply", Tag: "tag"}

    assert catalogue.handlers_by_reader(handlers) == {made.name: "apply", tagged.name: "tag"}
    # An event declared later with a reader already handled joins without a new name.
    remade = catalogue.declare("thing_remade", version=1, aggregate_type="thing", reader=Thing)
    assert catalogue.handlers_by_reader(handlers)[remade.name] == "apply"
