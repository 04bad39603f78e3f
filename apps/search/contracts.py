"""The search context's published contract: the only module other contexts may import.

Search publishes no events (topic hearth.search.v1 stays empty): it is a read model
of listings' events. Its API is its contract with the web front end.
"""

from pathlib import Path

from kernel.events.types import EventCatalogue

EVENTS = EventCatalogue(source="search", schema_dir=Path(__file__).parent / "schemas")
