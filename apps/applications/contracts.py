"""The applications context's published contract: the only module other contexts may import.

EVENTS is the catalogue of the events applications publishes (topic hearth.applications.v1),
each declared here with a JSON Schema per version in apps/applications/schemas/.
Models, services and selectors stay private to the context.
"""

from pathlib import Path

from kernel.events.types import EventCatalogue

EVENTS = EventCatalogue(source="applications", schema_dir=Path(__file__).parent / "schemas")
APPLICATION_SUBMITTED = EVENTS.declare(
    "application_submitted", version=1, aggregate_type="application"
)
APPLICATION_APPROVED = EVENTS.declare(
    "application_approved", version=1, aggregate_type="application"
)
APPLICATION_REJECTED = EVENTS.declare(
    "application_rejected", version=1, aggregate_type="application"
)
APPLICATION_WITHDRAWN = EVENTS.declare(
    "application_withdrawn", version=1, aggregate_type="application"
)
APPLICATION_CLOSED = EVENTS.declare("application_closed", version=1, aggregate_type="application")
