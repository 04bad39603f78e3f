"""What analytics consumes: every listings and applications event, from the first
one ever published (a new group starts at the earliest offset), into its facts."""

from django.conf import settings

from apps.analytics import services
from apps.applications.contracts import EVENTS as APPLICATIONS_EVENTS
from apps.applications.contracts import ApplicationChanged
from apps.listings.contracts import EVENTS as LISTINGS_EVENTS
from apps.listings.contracts import ListingChanged, ListingDeleted
from kernel.events.consumer import ConsumerSpec
from kernel.events.envelope import Envelope


def on_listing_changed(envelope: Envelope) -> None:
    snapshot = ListingChanged.from_payload(envelope.payload).listing
    services.listing_fact_apply(snapshot=snapshot, occurred_at=envelope.occurred_at)


def on_listing_deleted(envelope: Envelope) -> None:
    services.listing_fact_delete(
        listing_id=ListingDeleted.from_payload(envelope.payload).listing_id
    )


def on_application_changed(envelope: Envelope) -> None:
    # application_closed carries the snapshot too (and a reason the facts do not need).
    application = envelope.payload["application"]
    snapshot = ApplicationChanged.from_payload({"application": application}).application
    services.application_fact_apply(snapshot=snapshot)


def facts(
    group_id: str,
    listings_topic: str = LISTINGS_EVENTS.topic,
    applications_topic: str = APPLICATIONS_EVENTS.topic,
) -> ConsumerSpec:
    """The consumer of both topics (listings' and applications' own but in tests)."""
    # Every listings event that carries a listing's snapshot, and its deletion; photos'
    # readers are left out, as their events carry no figures.
    handlers = LISTINGS_EVENTS.handlers_by_reader(
        {ListingChanged: on_listing_changed, ListingDeleted: on_listing_deleted}
    )
    # Every applications event: each carries the application's snapshot, all the facts need.
    handlers |= {name: on_application_changed for name in APPLICATIONS_EVENTS.events}
    return ConsumerSpec(
        group_id=group_id,
        topics=(listings_topic, applications_topic),
        handlers=handlers,
        reset_read_model=services.facts_reset,
    )


FACTS = facts(f"hearth.{settings.HEARTH_SERVICE}")
