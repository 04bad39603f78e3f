"""The payments context's published contract: the only module other contexts may import.

EVENTS is the catalogue of the events payments publishes (topic hearth.payments.v1),
each declared here with a JSON Schema per version in apps/payments/schemas/, and the
typed readers of their payloads that consumers use. PaymentStatus is the one list of
a payment's statuses. Models, services and selectors stay private to the context.
"""

import datetime
import uuid
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from kernel.events.readers import Money, PayloadReader
from kernel.events.types import EventCatalogue


class PaymentStatus(StrEnum):
    """Due until paid; processing while a charge's outcome is not known yet (the
    provider's webhook or reconciliation settles it); a declined charge makes it due
    again. Paid is final."""

    DUE = "due"
    PROCESSING = "processing"
    PAID = "paid"


@dataclass(frozen=True)
class PaymentSnapshot(PayloadReader):
    """A move-in payment as it is after the change an event reports (schemas/payment.json)."""

    payment_id: uuid.UUID
    application_id: uuid.UUID
    listing_id: uuid.UUID
    listing_title: str
    renter_id: uuid.UUID
    landlord_id: uuid.UUID
    status: PaymentStatus
    rent: Money
    deposit: Money
    fee: Money
    total: Money
    due_date: datetime.date
    paid_at: datetime.datetime | None
    deposit_refunded_at: datetime.datetime | None


@dataclass(frozen=True)
class PaymentChanged(PayloadReader):
    """The payload of payment_requested."""

    payment: PaymentSnapshot


@dataclass(frozen=True)
class PaymentSucceeded(PayloadReader):
    payment: PaymentSnapshot
    charge_id: uuid.UUID


@dataclass(frozen=True)
class PaymentFailed(PayloadReader):
    payment: PaymentSnapshot
    charge_id: uuid.UUID
    decline_code: str
    message: str


@dataclass(frozen=True)
class PayoutScheduled(PayloadReader):
    payment: PaymentSnapshot
    payout_id: uuid.UUID
    amount: Money
    scheduled_for: datetime.date


@dataclass(frozen=True)
class DepositRefunded(PayloadReader):
    payment: PaymentSnapshot
    amount: Money


EVENTS = EventCatalogue(source="payments", schema_dir=Path(__file__).parent / "schemas")
PAYMENT_REQUESTED = EVENTS.declare(
    "payment_requested", version=1, aggregate_type="payment", reader=PaymentChanged
)
PAYMENT_SUCCEEDED = EVENTS.declare(
    "payment_succeeded", version=1, aggregate_type="payment", reader=PaymentSucceeded
)
PAYMENT_FAILED = EVENTS.declare(
    "payment_failed", version=1, aggregate_type="payment", reader=PaymentFailed
)
PAYOUT_SCHEDULED = EVENTS.declare(
    "payout_scheduled", version=1, aggregate_type="payment", reader=PayoutScheduled
)
DEPOSIT_REFUNDED = EVENTS.declare(
    "deposit_refunded", version=1, aggregate_type="payment", reader=DepositRefunded
)
