"""Event types and the catalogues contexts publish them in.

A context declares its events in its `contracts` module, each with a JSON Schema
checked into the repo beside it and, for the events other contexts read, a typed
reader of its payload (kernel.events.readers). Producing an event whose payload
does not match its schema raises: a bad event must fail the writer's transaction,
not reach every consumer.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource

from kernel.events.readers import PayloadError, PayloadReader, schema_mismatches, sibling_resolver

SCHEMA_DIR = Path(__file__).parent / "schemas"
H = TypeVar("H")


class EventSchemaError(ValueError):
    """An event does not match the schema it is declared with."""


def load_validator(path: Path) -> Draft202012Validator:
    """A schema may `$ref` a sibling file (e.g. a snapshot shared by several events)."""
    schema = json.loads(path.read_text())
    Draft202012Validator.check_schema(schema)

    def sibling(uri: str) -> Resource:
        return Resource.from_contents(json.loads((path.parent / Path(uri).name).read_text()))

    return Draft202012Validator(
        schema, format_checker=FormatChecker(), registry=Registry(retrieve=sibling)
    )


def validate(validator: Draft202012Validator, instance: Any, *, what: str) -> None:
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    if errors:
        detail = "; ".join(_describe(error) for error in errors)
        raise EventSchemaError(f"{what} does not match its schema: {detail}")


def _describe(error: ValidationError) -> str:
    location = "/".join(str(part) for part in error.absolute_path) or "(root)"
    return f"{location}: {error.message}"


@dataclass(frozen=True)
class EventType:
    name: str  # "<context>.<aggregate>_<verb>"
    version: int
    source: str
    topic: str
    aggregate_type: str
    schema_path: Path
    reader: type[PayloadReader] | None = None  # the payload, typed, for consumers

    @cached_property
    def validator(self) -> Draft202012Validator:
        return load_validator(self.schema_path)

    def validate_payload(self, payload: dict[str, Any]) -> None:
        validate(self.validator, payload, what=f"payload of {self.name} v{self.version}")

    def validate_examples(self) -> None:
        """A schema documents itself with examples, and they must match it: the
        contract test every context runs over its catalogue."""
        examples = self.validator.schema.get("examples", [])
        if not examples:
            raise EventSchemaError(f"{self.schema_path.name} has no examples")
        for example in examples:
            self.validate_payload(example)

    def read(self, envelope: Any) -> Any:
        """The envelope's payload through this event's reader. PayloadError if the
        envelope is another event's, or its payload cannot be read."""
        if self.reader is None:
            raise TypeError(f"{self.name} declares no reader")
        if envelope.event_type != self.name:
            raise PayloadError(f"{envelope.event_type} read as {self.name}")
        return self.reader.from_payload(envelope.payload)

    def reader_mismatches(self) -> list[str]:
        """How the reader differs from the schema, and what it fails to read of the
        schema's examples: [] when they agree (the contract test of every context)."""
        if self.reader is None:
            return []
        schema = self.validator.schema
        problems = schema_mismatches(self.reader, schema, sibling_resolver(self.schema_path))
        for example in schema.get("examples", []):
            try:
                self.reader.from_payload(example)
            except PayloadError as error:
                problems.append(f"example not readable: {error}")
        return problems


@dataclass(frozen=True)
class EventCatalogue:
    """The events one context publishes, on its topic hearth.<context>.v<major>."""

    source: str
    major_version: int = 1
    schema_dir: Path | None = None
    events: dict[str, EventType] = field(default_factory=dict)

    @property
    def topic(self) -> str:
        return f"hearth.{self.source}.v{self.major_version}"

    def declare(
        self,
        name: str,
        *,
        version: int,
        aggregate_type: str,
        reader: type[PayloadReader] | None = None,
    ) -> EventType:
        """Declare `<source>.<name>`; its schema is `<schema_dir>/<name>.v<version>.json`."""
        if self.schema_dir is None:
            raise ValueError(f"catalogue of {self.source} has no schema_dir")
        event = EventType(
            name=f"{self.source}.{name}",
            version=version,
            source=self.source,
            topic=self.topic,
            aggregate_type=aggregate_type,
            schema_path=self.schema_dir / f"{name}.v{version}.json",
            reader=reader,
        )
        self.events[event.name] = event
        return event

    def handlers_by_reader(self, handlers: Mapping[type[PayloadReader], H]) -> dict[str, H]:
        """Each declared event whose reader `handlers` names, to that reader's handler.

        A reader says what an event reports (a listing's snapshot, a deletion), so a
        consumer keyed by reader gets an event its producer adds with a known reader
        without editing a list of names; events of other readers are left out."""
        return {
            name: handlers[event.reader]
            for name, event in self.events.items()
            if event.reader in handlers
        }


ENVELOPE_VALIDATOR = load_validator(SCHEMA_DIR / "envelope.v1.json")
