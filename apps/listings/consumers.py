"""Events listings consumes: an approved application lets its listing."""

import logging

from apps.applications.contracts import APPLICATION_APPROVED
from apps.listings import services
from kernel.events.consumer import ConsumerSpec
from kernel.events.envelope import Envelope

logger = logging.getLogger(__name__)


def on_application_approved(envelope: Envelope) -> None:
    """Idempotent: services.listing_mark_let changes only a listing that is still
    on the market, so a redelivered or second approval changes nothing."""
    listing_id = APPLICATION_APPROVED.read(envelope).application.listing_id
    if services.listing_mark_let(listing_id=listing_id) is None:
        logger.info(
            "approval left the listing as it was",
            extra={"listing_id": str(listing_id), "event_id": str(envelope.event_id)},
        )


LISTINGS_CONSUMER = ConsumerSpec(
    group_id="hearth.listings",
    topics=(APPLICATION_APPROVED.topic,),
    handlers={APPLICATION_APPROVED.name: on_application_approved},
)
