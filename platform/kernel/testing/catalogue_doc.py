"""The event catalogue of docs/events.md, read back as data, so tests can hold it
to the contexts' declarations and consumers: a table that cannot drift."""

import re
from dataclasses import dataclass
from pathlib import Path

_ROW = re.compile(r"^\| `(hearth\.[a-z_]+\.v\d+)` \|(.*)\|\s*$")


@dataclass(frozen=True)
class CatalogueRow:
    topic: str
    event: str | None  # None: the topic's row says it carries no event yet
    version: int | None
    aggregate: str | None
    consumed_by: frozenset[str]


def catalogue_rows(doc: Path) -> list[CatalogueRow]:
    """The rows of the catalogue table: topic, event, version, aggregate,
    published when, consumed by (comma-separated deployables)."""
    rows = []
    for line in doc.read_text().splitlines():
        if not (match := _ROW.match(line)):
            continue
        event, version, aggregate, _when, consumed = (
            cell.strip() for cell in match.group(2).split("|")
        )
        if event == "—":
            rows.append(CatalogueRow(match.group(1), None, None, None, frozenset()))
            continue
        rows.append(
            CatalogueRow(
                topic=match.group(1),
                event=event.strip("`"),
                version=int(version),
                aggregate=aggregate,
                consumed_by=frozenset(name.strip() for name in consumed.split(",") if name.strip()),
            )
        )
    return rows
