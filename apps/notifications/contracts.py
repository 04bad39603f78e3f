"""The notifications context's published contract: the only module other contexts may import.

EVENTS is the catalogue of the events notifications publishes (topic hearth.notifications.v1),
each declared here with a JSON Schema per version in apps/notifications/schemas/.
Models, services and selectors stay private to the context.
"""

from pathlib import Path

from kernel.events.types import EventCatalogue

EVENTS = EventCatalogue(source="notifications", schema_dir=Path(__file__).parent / "schemas")
