"""The payments context's published contract: the only module other contexts may import.

EVENTS is the catalogue of the events payments publishes (topic hearth.payments.v1),
each declared here with a JSON Schema per version in apps/payments/schemas/.
Models, services and selectors stay private to the context.
"""

from pathlib import Path

from kernel.events.types import EventCatalogue

EVENTS = EventCatalogue(source="payments", schema_dir=Path(__file__).parent / "schemas")
