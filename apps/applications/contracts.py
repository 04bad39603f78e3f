"""The applications context's published contract: the only module other contexts may import.

EVENTS is the catalogue of the events applications publishes (topic hearth.applications.v1),
each declared here with a JSON Schema per version in apps/applications/schemas/, and the
typed readers of their payloads that consumers use. ApplicationStatus and ClosedReason
are the one lists of those values. Models, services and selectors stay private to the
context.
"""

import datetime
import uuid
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from kernel.events.readers import Money, PayloadReader
from kernel.events.types import EventCatalogue


class ApplicationStatus(StrEnum):
    """Submitted until decided; every other status is final (state_machine.py has the
    allowed moves)."""

    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"


class ClosedReason(StrEnum):
    """Why an open application was closed (application_closed's `reason`)."""

    LISTING_LET = "listing_let"
    LISTING_WITHDRAWN = "listing_withdrawn"


@dataclass(frozen=True)
class ApplicationSnapshot(PayloadReader):
    """An application as it is after the change an event reports (schemas/application.json)."""

    application_id: uuid.UUID
    listing_id: uuid.UUID
    listing_title: str
    landlord_id: uuid.UUID
    renter_id: uuid.UUID
    renter_name: str
    status: ApplicationStatus
    move_in_date: datetime.date
    occupants: int
    monthly_income: Money
    message: str
    submitted_at: datetime.datetime
    decided_at: datetime.datetime | None


@dataclass(frozen=True)
class ApplicationChanged(PayloadReader):
    """The payload of application_submitted, _approved, _rejected and _withdrawn."""

    application: ApplicationSnapshot


@dataclass(frozen=True)
class ApplicationClosed(PayloadReader):
    application: ApplicationSnapshot
    reason: ClosedReason


EVENTS = EventCatalogue(source="applications", schema_dir=Path(__file__).parent / "schemas")
APPLICATION_SUBMITTED = EVENTS.declare(
    "application_submitted", version=1, aggregate_type="application", reader=ApplicationChanged
)
APPLICATION_APPROVED = EVENTS.declare(
    "application_approved", version=1, aggregate_type="application", reader=ApplicationChanged
)
APPLICATION_REJECTED = EVENTS.declare(
    "application_rejected", version=1, aggregate_type="application", reader=ApplicationChanged
)
APPLICATION_WITHDRAWN = EVENTS.declare(
    "application_withdrawn", version=1, aggregate_type="application", reader=ApplicationChanged
)
APPLICATION_CLOSED = EVENTS.declare(
    "application_closed", version=1, aggregate_type="application", reader=ApplicationClosed
)
