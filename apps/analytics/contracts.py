"""The analytics context's published contract: the only module other contexts may import.

Analytics publishes no events (topic hearth.analytics.v1 stays empty): it is a read
model of listings' and applications' events, answering market figures over time.
"""

from pathlib import Path

from kernel.events.types import EventCatalogue

EVENTS = EventCatalogue(source="analytics", schema_dir=Path(__file__).parent / "schemas")
