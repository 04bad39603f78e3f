"""Approve, reject, withdraw: who may, from which status, what each publishes, and
THE APPROVAL RULE (approving lets the listing and closes the other applications)."""

import uuid

import pytest

from apps.applications.consumers import LISTINGS_READ_MODEL
from apps.applications.contracts import (
    APPLICATION_APPROVED,
    APPLICATION_CLOSED,
    APPLICATION_REJECTED,
    APPLICATION_SUBMITTED,
    APPLICATION_WITHDRAWN,
)
from apps.applications.models import ActiveApplicationClaim, Application
from apps.applications.tests.support import (
    application_body,
    apply,
    get,
    make_user,
    outbox,
    payloads,
    post,
    publish_listing,
)

pytestmark = pytest.mark.django_db

EVENTS = {
    "approve": APPLICATION_APPROVED,
    "reject": APPLICATION_REJECTED,
    "withdraw": APPLICATION_WITHDRAWN,
}
STATUS_AFTER = {"approve": "approved", "reject": "rejected", "withdraw": "withdrawn"}


@pytest.fixture
def listing_id(landlord):
    return publish_listing(landlord)["listing_id"]


@pytest.fixture
def application(client, renter, listing_id):
    return apply(client, renter, listing_id)


def _actor(action, *, renter, landlord):
    return renter if action == "withdraw" else landlord


@pytest.mark.parametrize("action", ["approve", "reject", "withdraw"])
def test_each_decision_changes_the_status_and_publishes_its_event(
    client, renter, landlord, application, action
):
    response = post(
        client, f"/{application['id']}/{action}", _actor(action, renter=renter, landlord=landlord)
    )

    assert response.status_code == 200, response.json()
    decided = response.json()
    assert decided["status"] == STATUS_AFTER[action]
    assert decided["decided_at"] is not None
    stored = Application.objects.get(pk=application["id"])
    [event] = outbox(EVENTS[action])
    assert event.key == application["id"]
    snapshot = event.envelope["payload"]["application"]
    assert snapshot["status"] == STATUS_AFTER[action]
    assert snapshot["decided_at"] == stored.decided_at.isoformat()
    submitted = payloads(APPLICATION_SUBMITTED)[0]["application"]
    unchanged = {k: v for k, v in snapshot.items() if k not in ("status", "decided_at")}
    assert unchanged == {k: v for k, v in submitted.items() if k not in ("status", "decided_at")}


def test_approving_closes_every_other_submitted_application(client, landlord, listing_id):
    renters = [make_user("renter") for _ in range(4)]
    chosen, second, third, gone = (apply(client, r, listing_id) for r in renters)
    post(client, f"/{gone['id']}/withdraw", renters[3])
    elsewhere = apply(client, renters[1], publish_listing(landlord)["listing_id"])

    response = post(client, f"/{chosen['id']}/approve", landlord)

    assert response.status_code == 200
    statuses = dict(Application.objects.values_list("id", "status"))
    assert {str(k): v for k, v in statuses.items()} == {
        chosen["id"]: "approved",
        second["id"]: "closed",
        third["id"]: "closed",
        gone["id"]: "withdrawn",
        elsewhere["id"]: "submitted",
    }
    [approved] = payloads(APPLICATION_APPROVED)
    assert approved["application"]["application_id"] == chosen["id"]
    closed = payloads(APPLICATION_CLOSED)
    assert [p["application"]["application_id"] for p in closed] == [second["id"], third["id"]]
    for payload in closed:
        assert payload["reason"] == "listing_let"
        assert payload["application"]["status"] == "closed"
        assert payload["application"]["decided_at"] == approved["application"]["decided_at"]
    # The approval comes first, then the closures it caused.
    types = [row.event_type for row in outbox()][-3:]
    assert types == [APPLICATION_APPROVED.name] + [APPLICATION_CLOSED.name] * 2
    closed_view = get(client, f"/{second['id']}", renters[1]).json()
    assert (closed_view["status"], closed_view["closed_reason"]) == ("closed", "listing_let")
    # The approved application keeps its claim; the closed ones freed theirs.
    assert {c.application_id for c in ActiveApplicationClaim.objects.all()} == {
        uuid.UUID(chosen["id"]),
        uuid.UUID(elsewhere["id"]),
    }


def test_after_an_approval_the_listing_takes_no_more_decisions_or_applications(
    client, landlord, renter, other_renter, listing_id
):
    chosen = apply(client, renter, listing_id)
    other = apply(client, other_renter, listing_id)
    assert post(client, f"/{chosen['id']}/approve", landlord).status_code == 200

    for action in ("approve", "reject"):
        assert post(client, f"/{other['id']}/{action}", landlord).status_code == 409
    assert post(client, f"/{other['id']}/withdraw", other_renter).status_code == 409
    newcomer = make_user("renter")
    response = post(client, "", newcomer, application_body(listing_id))
    assert response.status_code == 409
    assert response.json() == {"detail": "This listing is already let."}
    # Even the closed renter, whose claim was freed, cannot apply again.
    assert post(client, "", other_renter, application_body(listing_id)).status_code == 409
    assert Application.objects.filter(listing_id=listing_id).count() == 2


def _approved(client, renter, landlord, application):
    post(client, f"/{application['id']}/approve", landlord)


def _rejected(client, renter, landlord, application):
    post(client, f"/{application['id']}/reject", landlord)


def _withdrawn(client, renter, landlord, application):
    post(client, f"/{application['id']}/withdraw", renter)


def _closed(client, renter, landlord, application):
    winner = apply(client, make_user("renter"), application["listing_id"])
    post(client, f"/{winner['id']}/approve", landlord)


@pytest.mark.parametrize("action", ["approve", "reject", "withdraw"])
@pytest.mark.parametrize(
    ("status", "make"),
    [
        ("approved", _approved),
        ("rejected", _rejected),
        ("withdrawn", _withdrawn),
        ("closed", _closed),
    ],
)
def test_every_decided_application_refuses_every_decision(
    client, renter, landlord, *, application, status, make, action
):
    make(client, renter, landlord, application)
    assert Application.objects.get(pk=application["id"]).status == status
    events_before = len(outbox())

    response = post(
        client, f"/{application['id']}/{action}", _actor(action, renter=renter, landlord=landlord)
    )

    assert response.status_code == 409
    assert response.json() == {
        "detail": f"An application that is {status} cannot become {STATUS_AFTER[action]}."
    }
    assert Application.objects.get(pk=application["id"]).status == status
    assert len(outbox()) == events_before


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_only_the_listings_landlord_decides(
    client, renter, other_renter, *, other_landlord, application, action
):
    path = f"/{application['id']}/{action}"
    assert post(client, path).status_code == 401
    assert post(client, path, renter).status_code == 403  # even the applicant
    assert post(client, path, other_renter).status_code == 403
    assert post(client, path, other_landlord).status_code == 404
    assert Application.objects.get(pk=application["id"]).status == "submitted"
    assert not outbox(EVENTS[action])


def test_only_the_renter_who_applied_withdraws(
    client, landlord, other_renter, other_landlord, application
):
    path = f"/{application['id']}/withdraw"
    assert post(client, path).status_code == 401
    assert post(client, path, landlord).status_code == 403  # even the listing's own
    assert post(client, path, other_landlord).status_code == 403
    assert post(client, path, other_renter).status_code == 404
    assert Application.objects.get(pk=application["id"]).status == "submitted"
    assert not outbox(APPLICATION_WITHDRAWN)


@pytest.mark.parametrize("action", ["approve", "reject", "withdraw"])
@pytest.mark.parametrize(
    "application_id", [str(uuid.uuid4()), "not-a-uuid", "1"], ids=["unknown", "malformed", "int"]
)
def test_an_unknown_application_is_404(client, renter, landlord, action, application_id):
    actor = _actor(action, renter=renter, landlord=landlord)
    assert post(client, f"/{application_id}/{action}", actor).status_code == 404


@pytest.mark.parametrize("action", ["approve", "reject", "withdraw"])
def test_decisions_take_no_body_and_ignore_one(client, renter, landlord, application, action):
    body = {"status": "approved", "listing_id": str(uuid.uuid4())}
    response = post(
        client,
        f"/{application['id']}/{action}",
        _actor(action, renter=renter, landlord=landlord),
        body,
    )
    assert response.status_code == 200
    assert response.json()["listing_id"] == application["listing_id"]


def test_get_is_not_a_decision(client, landlord, application):
    response = get(client, f"/{application['id']}/approve", landlord)
    assert response.status_code == 405
    assert Application.objects.get(pk=application["id"]).status == "submitted"


def test_no_approval_while_the_listing_is_missing_from_a_replayed_read_model(
    client, landlord, application
):
    LISTINGS_READ_MODEL.reset_read_model()
    response = post(client, f"/{application['id']}/approve", landlord)
    assert response.status_code == 409
    assert Application.objects.get(pk=application["id"]).status == "submitted"
    # Rejecting needs no listing lock, so it goes on working.
    assert post(client, f"/{application['id']}/reject", landlord).status_code == 200
