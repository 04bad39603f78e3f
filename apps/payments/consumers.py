"""What payments consumes: applications' approvals, which open move-in payments, and
listings' snapshots, which say what each listing asks (rent, deposit, currency), since
an approval does not carry that.

Each handler runs in the inbox transaction (exactly once per event). An approval may
arrive before its listing's terms (two topics, no order between them): it waits as a
PendingApproval and the payment opens when the terms arrive.
"""

from apps.applications.contracts import APPLICATION_APPROVED
from apps.applications.contracts import EVENTS as APPLICATIONS_EVENTS
from apps.listings.contracts import (
    EVENTS as LISTINGS_EVENTS,
)
from apps.listings.contracts import (
    LISTING_CREATED,
    LISTING_LET,
    LISTING_PUBLISHED,
    LISTING_UNPUBLISHED,
    LISTING_UPDATED,
    ListingChanged,
)
from apps.payments import services
from kernel.events.consumer import ConsumerSpec
from kernel.events.envelope import Envelope


def on_listing_changed(envelope: Envelope) -> None:
    services.listing_terms_apply(snapshot=ListingChanged.from_payload(envelope.payload).listing)


def on_application_approved(envelope: Envelope) -> None:
    application = APPLICATION_APPROVED.read(envelope).application
    services.payment_request(
        application=application, approved_at=application.decided_at or envelope.occurred_at
    )


MOVE_IN_PAYMENTS = ConsumerSpec(
    group_id="hearth.payments",
    topics=(APPLICATIONS_EVENTS.topic, LISTINGS_EVENTS.topic),
    handlers={
        APPLICATION_APPROVED.name: on_application_approved,
        LISTING_CREATED.name: on_listing_changed,
        LISTING_UPDATED.name: on_listing_changed,
        LISTING_PUBLISHED.name: on_listing_changed,
        LISTING_UNPUBLISHED.name: on_listing_changed,
        LISTING_LET.name: on_listing_changed,
    },
    reset_read_model=services.reset_read_model,
)
