"""Writes of the applications context: every status change, with its event.

THE APPROVAL RULE. Approving an application lets the listing to its renter, so in
the same transaction every other submitted application for that listing becomes
closed (reason "listing_let", each publishing application_closed), and from then
on the listing accepts no new application (409). Approvals and submissions of one
listing serialise on its ListingView row (select_for_update): of two approvals
racing, the second waits, then finds its application closed and gets a 409; a
submission racing an approval waits, then finds the listing let. Listings hears
of the approval through application_approved and publishes listing_let, which the
consumer applies to the read model later; until then the approved application
itself is what marks the listing as let here.

Lock order, the same everywhere so no two writers deadlock: the listing's view
row, then the application, then the listing's other applications.
"""

import datetime
import uuid
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.applications.contracts import (
    APPLICATION_APPROVED,
    APPLICATION_CLOSED,
    APPLICATION_REJECTED,
    APPLICATION_SUBMITTED,
    APPLICATION_WITHDRAWN,
    ApplicationStatus,
    ClosedReason,
)
from apps.applications.models import ActiveApplicationClaim, Application, ListingView, claim_key
from apps.applications.state_machine import ACTIVE_STATUSES, check_transition
from apps.listings.contracts import ListingSnapshot, ListingStatus
from kernel import errors
from kernel.events.outbox import publish_event
from kernel.money import money

# The event each move publishes; submission, the one way in, publishes its own.
MOVE_EVENTS = {
    ApplicationStatus.APPROVED: APPLICATION_APPROVED,
    ApplicationStatus.REJECTED: APPLICATION_REJECTED,
    ApplicationStatus.WITHDRAWN: APPLICATION_WITHDRAWN,
    ApplicationStatus.CLOSED: APPLICATION_CLOSED,
}
NOT_OPEN = "There is no published listing with this id."
NO_SUCH_APPLICATION = "No such application."


def application_snapshot(application: Application) -> dict[str, Any]:
    """The application as every one of its events carries it (application.json)."""
    return {
        "application_id": str(application.id),
        "listing_id": str(application.listing_id),
        "listing_title": application.listing_title,
        "landlord_id": str(application.landlord_id),
        "renter_id": str(application.renter_id),
        "renter_name": application.renter_name,
        "status": str(application.status),
        "move_in_date": application.move_in_date.isoformat(),
        "occupants": application.occupants,
        "monthly_income": money(
            application.monthly_income_amount, application.monthly_income_currency
        ),
        "message": application.message,
        "submitted_at": application.submitted_at.isoformat(),
        "decided_at": application.decided_at.isoformat() if application.decided_at else None,
    }


def application_submit(  # noqa: PLR0913 (keyword-only: one argument per field of the form)
    *,
    listing_id: uuid.UUID,
    renter_id: str,
    renter_name: str,
    move_in_date: datetime.date,
    occupants: int,
    monthly_income_amount: Decimal,
    monthly_income_currency: str,
    message: str = "",
) -> Application:
    """A renter applies for a published listing.

    errors.Invalid (400) if the listing is unknown here, deleted or not published,
    or the move-in date is in the past or before the listing is available;
    errors.Conflict (409) if the listing is let, or the renter already holds an
    active application for it.
    """
    with transaction.atomic():
        listing = _lock_listing(listing_id)
        if listing is None or listing.deleted:
            raise errors.Invalid.field("listing_id", NOT_OPEN)
        if listing.status == ListingStatus.LET or _is_let_here(listing_id):
            raise errors.Conflict("This listing is already let.")
        if listing.status != ListingStatus.PUBLISHED:
            raise errors.Invalid.field("listing_id", NOT_OPEN)
        if move_in_date < timezone.localdate():
            raise errors.Invalid.field("move_in_date", "The move-in date is in the past.")
        if move_in_date < listing.available_from:
            raise errors.Invalid.field(
                "move_in_date",
                f"The listing is available from {listing.available_from.isoformat()}.",
            )
        application = Application(
            listing_id=listing.listing_id,
            landlord_id=listing.landlord_id,
            listing_title=listing.title,
            renter_id=renter_id,
            # The token's name is capped by accounts; this keeps the event schema's cap.
            renter_name=renter_name[:150],
            status=ApplicationStatus.SUBMITTED,
            move_in_date=move_in_date,
            occupants=occupants,
            monthly_income_amount=monthly_income_amount,
            monthly_income_currency=monthly_income_currency,
            message=message,
        )
        try:
            with transaction.atomic():
                ActiveApplicationClaim.objects.create(
                    key=claim_key(listing_id=listing.listing_id, renter_id=renter_id),
                    application_id=application.id,
                )
        except IntegrityError as error:
            raise errors.Conflict(
                "You already have an active application for this listing."
            ) from error
        application.save(force_insert=True)
        publish_event(
            APPLICATION_SUBMITTED,
            aggregate_id=application.id,
            payload={"application": application_snapshot(application)},
        )
    return application


def application_approve(*, application_id: uuid.UUID, landlord_id: str) -> Application:
    """The listing's landlord approves a submitted application; see THE APPROVAL RULE
    above: every other submitted application for the listing is closed with it."""
    with transaction.atomic():
        listing_id = _owned(application_id, landlord_id=landlord_id).listing_id
        if _lock_listing(listing_id) is None:
            # Only while the read model is being replayed: without the row there is
            # nothing to serialise approvals on, so none is taken until it is back.
            raise errors.Conflict("This listing is being refreshed; try again in a moment.")
        application = _lock_owned(application_id, landlord_id=landlord_id)
        now = timezone.now()
        _move(application, ApplicationStatus.APPROVED, now=now)
        _close_submitted(listing_id, reason=ClosedReason.LISTING_LET, now=now)
    return application


def application_reject(*, application_id: uuid.UUID, landlord_id: str) -> Application:
    with transaction.atomic():
        application = _lock_owned(application_id, landlord_id=landlord_id)
        _move(application, ApplicationStatus.REJECTED, now=timezone.now())
    return application


def application_withdraw(*, application_id: uuid.UUID, renter_id: str) -> Application:
    with transaction.atomic():
        application = _lock_owned(application_id, renter_id=renter_id)
        _move(application, ApplicationStatus.WITHDRAWN, now=timezone.now())
    return application


def listing_view_apply(*, snapshot: ListingSnapshot) -> ListingView:
    """Bring the read model up to a listing snapshot from listings' events.

    A snapshot older than the stored one (by the listing's own updated_at) is
    ignored, and so is any snapshot of a deleted listing: deletion is final.
    """
    fields = {
        "landlord_id": snapshot.landlord_id,
        "title": snapshot.title,
        "status": snapshot.status,
        "available_from": snapshot.available_from,
        "monthly_rent_amount": snapshot.monthly_rent.amount,
        "monthly_rent_currency": snapshot.monthly_rent.currency,
        "updated_at": snapshot.updated_at,
    }
    with transaction.atomic():
        view, created = ListingView.objects.select_for_update().get_or_create(
            listing_id=snapshot.listing_id, defaults=fields
        )
        if created or view.deleted or fields["updated_at"] < view.updated_at:
            return view
        for name, value in fields.items():
            setattr(view, name, value)
        view.save()
    return view


def listing_view_let(*, snapshot: ListingSnapshot) -> ListingView:
    """listing_let: apply the snapshot, then close what is still submitted (none,
    when the approval was this context's own; idempotent either way)."""
    with transaction.atomic():
        view = listing_view_apply(snapshot=snapshot)
        if view.status == ListingStatus.LET and not view.deleted:
            _close_submitted(view.listing_id, reason=ClosedReason.LISTING_LET, now=timezone.now())
    return view


def listing_view_delete(*, listing_id: uuid.UUID) -> None:
    """listing_deleted: the listing left the market, so its submitted applications
    are closed (reason listing_withdrawn). Idempotent."""
    with transaction.atomic():
        view = _lock_listing(listing_id)
        if view is not None and not view.deleted:
            view.deleted = True
            view.save(update_fields=["deleted"])
        _close_submitted(listing_id, reason=ClosedReason.LISTING_WITHDRAWN, now=timezone.now())


def listing_views_reset() -> None:
    """Empty the read model, for a replay of listings' events from the start."""
    ListingView.objects.all().delete()


def _lock_listing(listing_id: uuid.UUID | str) -> ListingView | None:
    return ListingView.objects.select_for_update().filter(pk=listing_id).first()


def _is_let_here(listing_id: uuid.UUID | str) -> bool:
    """An approval here lets the listing before listings' listing_let reaches the
    read model; approved is final, so this stays true."""
    return Application.objects.filter(
        listing_id=listing_id, status=ApplicationStatus.APPROVED
    ).exists()


def _owned(application_id: uuid.UUID, **owner: str) -> Application:
    application = Application.objects.filter(pk=application_id, **owner).first()
    if application is None:
        raise errors.NotFound(NO_SUCH_APPLICATION)
    return application


def _lock_owned(application_id: uuid.UUID, **owner: str) -> Application:
    application = Application.objects.select_for_update().filter(pk=application_id, **owner).first()
    if application is None:
        raise errors.NotFound(NO_SUCH_APPLICATION)
    return application


def _move(
    application: Application,
    target: ApplicationStatus,
    *,
    now: datetime.datetime,
    closed_reason: str = "",
) -> None:
    """Change the status through the state machine and publish the event it makes;
    leaving the active statuses frees the renter to apply for the listing again."""
    check_transition(application.status, target)
    application.status = target
    application.closed_reason = closed_reason
    application.decided_at = now
    application.save(update_fields=["status", "closed_reason", "decided_at", "updated_at"])
    if target not in ACTIVE_STATUSES:
        ActiveApplicationClaim.objects.filter(
            key=claim_key(listing_id=application.listing_id, renter_id=application.renter_id),
            application_id=application.id,
        ).delete()
    payload = {"application": application_snapshot(application)}
    if target == ApplicationStatus.CLOSED:
        payload["reason"] = str(closed_reason)
    publish_event(MOVE_EVENTS[target], aggregate_id=application.id, payload=payload)


def _close_submitted(
    listing_id: uuid.UUID | str, *, reason: ClosedReason, now: datetime.datetime
) -> None:
    """Close every submitted application for the listing; the caller holds the
    listing's view row lock, so no new one can appear meanwhile."""
    submitted = (
        Application.objects.select_for_update()
        .filter(listing_id=listing_id, status=ApplicationStatus.SUBMITTED)
        .order_by("submitted_at", "id")
    )
    for application in submitted:
        _move(application, ApplicationStatus.CLOSED, now=now, closed_reason=reason)
