"""The listings context's published contract: the only module other contexts may import.

EVENTS is the catalogue of the events listings publishes (topic hearth.listings.v1),
each declared here with a JSON Schema per version in apps/listings/schemas/.
Models, services and selectors stay private to the context.
"""

from pathlib import Path

from kernel.events.types import EventCatalogue

EVENTS = EventCatalogue(source="listings", schema_dir=Path(__file__).parent / "schemas")
