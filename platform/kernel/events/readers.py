"""Typed readers of event payloads, and the check that keeps each equal to its schema.

A context's contracts module declares, beside an event, a frozen dataclass with the
payload's fields (`EVENTS.declare(..., reader=ListingChanged)`); a consumer reads
`LISTING_LET.read(envelope)` and gets uuids, dates, datetimes, Decimals, the
publisher's enums and nested readers, instead of strings picked out of a dict.
Fields a reader does not declare are ignored, as a consumer must ignore what it
does not know.

`schema_mismatches` compares a reader with its JSON Schema: the same property
names; a field without a default exactly where the schema requires it; Optional
exactly where the schema allows null; each type as the schema's type and format;
each enum's values equal to the schema's enum. Every deployable's suite runs it
over its catalogue (kernel.testing.deployable_contract), so a reader cannot drift
from the schema its producer is held to.
"""

import dataclasses
import datetime
import enum
import json
import types
import typing
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Self


class PayloadError(ValueError):
    """A payload a reader cannot read: a field missing or of the wrong shape. The same
    event fails the same way every time, so a consumer dead-letters it at once."""


@dataclasses.dataclass(frozen=True)
class PayloadReader:
    """Base of the readers: subclasses are `@dataclass(frozen=True)` with typed fields."""

    @classmethod
    def from_payload(cls, payload: Any) -> Self:
        if not isinstance(payload, Mapping):
            raise PayloadError(f"{cls.__name__}: expected an object, got {type(payload).__name__}")
        hints = typing.get_type_hints(cls)
        values = {}
        for field in dataclasses.fields(cls):
            if field.name in payload:
                where = f"{cls.__name__}.{field.name}"
                values[field.name] = _read(hints[field.name], payload[field.name], where)
            elif not _has_default(field):
                raise PayloadError(f"{cls.__name__}: {field.name} is missing")
        return cls(**values)


@dataclasses.dataclass(frozen=True)
class Money(PayloadReader):
    """Money on the wire (kernel.money): {"amount": "1450.00", "currency": "EUR"}."""

    amount: Decimal
    currency: str


def _has_default(field: dataclasses.Field) -> bool:
    return field.default is not dataclasses.MISSING or field.default_factory is not (
        dataclasses.MISSING
    )


def _optional(annotation: Any) -> tuple[Any, bool]:
    """(the type without None, whether None is allowed); only `X | None` is supported."""
    if typing.get_origin(annotation) in (types.UnionType, typing.Union):
        others = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(others) != 1:
            raise TypeError(f"a reader's field is one type or `type | None`: {annotation}")
        return others[0], True
    return annotation, False


def _same(value: Any) -> Any:
    return value


@dataclasses.dataclass(frozen=True)
class _Scalar:
    arrives_as: Any  # the Python type json.loads gives
    parse: Callable[[Any], Any]
    wire_type: str  # JSON Schema's type and format
    wire_format: str | None = None


# Every scalar type a reader's field may have, read from and checked against the wire.
_SCALARS: dict[type, _Scalar] = {
    str: _Scalar(str, _same, "string"),
    int: _Scalar(int, _same, "integer"),
    float: _Scalar(int | float, float, "number"),
    bool: _Scalar(bool, _same, "boolean"),
    uuid.UUID: _Scalar(str, uuid.UUID, "string", "uuid"),
    datetime.datetime: _Scalar(str, datetime.datetime.fromisoformat, "string", "date-time"),
    datetime.date: _Scalar(str, datetime.date.fromisoformat, "string", "date"),
    # Amounts travel as strings, so no precision is lost.
    Decimal: _Scalar(str, Decimal, "string"),
}


def _read(annotation: Any, value: Any, where: str) -> Any:
    base, optional = _optional(annotation)
    if value is None:
        if optional:
            return None
        raise PayloadError(f"{where} may not be null")
    try:
        if typing.get_origin(base) is tuple:
            (item, _ellipsis) = typing.get_args(base)
            return tuple(_read(item, each, f"{where}[]") for each in _expect(value, list, where))
        if isinstance(base, type) and issubclass(base, PayloadReader):
            return base.from_payload(value)
        if isinstance(base, type) and issubclass(base, enum.Enum):
            return base(value)
        if base not in _SCALARS:
            raise TypeError(f"{where}: a reader cannot read {base!r}")
        scalar = _SCALARS[base]
        return scalar.parse(_expect(value, scalar.arrives_as, where))
    except PayloadError:
        raise
    except (ValueError, InvalidOperation) as error:
        raise PayloadError(f"{where}: {error}") from error


def _expect(value: Any, kind: Any, where: str) -> Any:
    # bool is an int to Python, never to JSON Schema.
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise PayloadError(f"{where}: expected {getattr(kind, '__name__', kind)}, got {value!r}")
    return value


# -- the contract check --------------------------------------------------------------

Resolver = Callable[[str], dict[str, Any]]


def sibling_resolver(schema_path: Path) -> Resolver:
    """`$ref`s name sibling files (e.g. listing.json), as in kernel.events.types."""
    return lambda ref: json.loads((schema_path.parent / Path(ref).name).read_text())


def schema_mismatches(
    reader: type[PayloadReader], schema: dict[str, Any], resolve: Resolver, where: str = ""
) -> list[str]:
    """How `reader` differs from the object `schema` describes; [] when they agree."""
    schema = _resolved(schema, resolve)
    where = where or reader.__name__
    properties = schema.get("properties", {})
    required = set(schema.get("required", []))
    fields = {field.name: field for field in dataclasses.fields(reader)}
    hints = typing.get_type_hints(reader)
    problems = [
        f"{where}.{name}: in the schema, not in the reader"
        for name in properties.keys() - fields.keys()
    ]
    problems += [
        f"{where}.{name}: in the reader, not in the schema"
        for name in fields.keys() - properties.keys()
    ]
    for name in sorted(fields.keys() & properties.keys()):
        if _has_default(fields[name]) == (name in required):
            state = "required" if name in required else "optional"
            problems.append(f"{where}.{name}: {state} in the schema, not in the reader")
        problems += _type_mismatches(hints[name], properties[name], resolve, f"{where}.{name}")
    return problems


def _type_mismatches(
    annotation: Any, prop: dict[str, Any], resolve: Resolver, where: str
) -> list[str]:
    prop = _resolved(prop, resolve)
    base, optional = _optional(annotation)
    wire_types = prop.get("type", [])
    wire_types = [wire_types] if isinstance(wire_types, str) else list(wire_types)
    problems = []
    if optional != ("null" in wire_types):
        problems.append(
            f"{where}: null {'allowed' if optional else 'refused'} by the reader, not by the schema"
        )
    if typing.get_origin(base) is tuple:
        if "array" not in wire_types:
            return [*problems, f"{where}: a tuple in the reader, {wire_types} in the schema"]
        (item, _ellipsis) = typing.get_args(base)
        return problems + _type_mismatches(item, prop.get("items", {}), resolve, f"{where}[]")
    if isinstance(base, type) and issubclass(base, PayloadReader):
        if "object" not in wire_types:
            return [*problems, f"{where}: an object in the reader, {wire_types} in the schema"]
        return problems + schema_mismatches(base, prop, resolve, where)
    if isinstance(base, type) and issubclass(base, enum.Enum):
        values, allowed = sorted(member.value for member in base), sorted(prop.get("enum", []))
        if values != allowed:
            problems.append(f"{where}: {base.__name__} is {values}, the schema's enum {allowed}")
        return problems
    scalar = _SCALARS[base]
    if scalar.wire_type not in wire_types or prop.get("format") != scalar.wire_format:
        problems.append(
            f"{where}: {base.__name__} in the reader, "
            f"{wire_types} (format {prop.get('format')}) in the schema"
        )
    return problems


def _resolved(schema: dict[str, Any], resolve: Resolver) -> dict[str, Any]:
    return resolve(schema["$ref"]) if "$ref" in schema else schema
