"""The listings context's published contract: the only module other contexts may import.

EVENTS is the catalogue of the events listings publishes (topic hearth.listings.v1),
each declared here with a JSON Schema per version in apps/listings/schemas/.
Models, services and selectors stay private to the context.
"""

from pathlib import Path

from kernel.events.types import EventCatalogue

EVENTS = EventCatalogue(source="listings", schema_dir=Path(__file__).parent / "schemas")
LISTING_CREATED = EVENTS.declare("listing_created", version=1, aggregate_type="listing")
LISTING_UPDATED = EVENTS.declare("listing_updated", version=1, aggregate_type="listing")
LISTING_PUBLISHED = EVENTS.declare("listing_published", version=1, aggregate_type="listing")
LISTING_UNPUBLISHED = EVENTS.declare("listing_unpublished", version=1, aggregate_type="listing")
LISTING_LET = EVENTS.declare("listing_let", version=1, aggregate_type="listing")
LISTING_DELETED = EVENTS.declare("listing_deleted", version=1, aggregate_type="listing")
