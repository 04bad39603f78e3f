"""THE APPROVAL RULE under concurrency: approvals of one listing serialise on its
ListingView row, so of two racing approvals exactly one wins and the other is a
clean 409, never a second approval and never a deadlock."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection

from apps.applications import services
from apps.applications.models import Application
from apps.applications.state_machine import InvalidTransition
from apps.applications.tests.support import make_user, publish_listing, today
from kernel.errors import Conflict

RACES = 5


def _submit(listing_id, renter):
    return services.application_submit(
        listing_id=listing_id,
        renter_id=renter.id,
        renter_name=renter.name,
        move_in_date=today() + timedelta(days=30),
        occupants=1,
        monthly_income_amount=Decimal("4000.00"),
        monthly_income_currency="EUR",
    )


def _race(*calls):
    """Run the calls at once, each on its own connection; their results or errors."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = call()
        except Exception as error:
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.mark.django_db(transaction=True, available_apps=["kernel", "apps.applications"])
def test_two_racing_approvals_of_one_listing_have_one_winner():
    landlord = make_user("landlord")
    for _ in range(RACES):
        listing_id = publish_listing(landlord)["listing_id"]
        first, second = (_submit(listing_id, make_user("renter")) for _ in range(2))

        outcomes = _race(
            lambda a=first: services.application_approve(
                application_id=a.id, landlord_id=landlord.id
            ),
            lambda a=second: services.application_approve(
                application_id=a.id, landlord_id=landlord.id
            ),
        )

        winners = [o for o in outcomes if isinstance(o, Application)]
        losers = [o for o in outcomes if isinstance(o, InvalidTransition)]
        assert (len(winners), len(losers)) == (1, 1), outcomes
        statuses = sorted(Application.objects.filter(listing_id=listing_id).values_list("status"))
        assert statuses == [("approved",), ("closed",)]


@pytest.mark.django_db(transaction=True, available_apps=["kernel", "apps.applications"])
def test_a_submission_racing_an_approval_never_stays_open_on_a_let_listing():
    landlord = make_user("landlord")
    for _ in range(RACES):
        listing_id = publish_listing(landlord)["listing_id"]
        chosen = _submit(listing_id, make_user("renter"))
        newcomer = make_user("renter")

        outcomes = _race(
            lambda a=chosen: services.application_approve(
                application_id=a.id, landlord_id=landlord.id
            ),
            lambda listing_id=listing_id, newcomer=newcomer: _submit(listing_id, newcomer),
        )

        approved, submitted = outcomes
        assert isinstance(approved, Application), outcomes
        # Either the newcomer applied first and was closed by the approval, or came
        # second and was refused: never a submitted application on a let listing.
        assert isinstance(submitted, Application | Conflict), outcomes
        assert not Application.objects.filter(listing_id=listing_id, status="submitted").exists()
