"""GET applications and applications/{id}: each user sees only their side."""

import uuid

import pytest

from apps.applications.tests.support import apply, get, make_user, post, publish_listing

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(client, renter, other_renter, landlord, other_landlord):
    """Two landlords' listings, with applications from two renters."""
    mine = publish_listing(landlord)["listing_id"]
    second = publish_listing(landlord)["listing_id"]
    theirs = publish_listing(other_landlord)["listing_id"]
    return {
        "renter_mine": apply(client, renter, mine),
        "renter_second": apply(client, renter, second),
        "renter_theirs": apply(client, renter, theirs),
        "other_mine": apply(client, other_renter, mine),
        "mine": mine,
        "second": second,
    }


def _ids(response):
    assert response.status_code == 200, response.json()
    return {application["id"] for application in response.json()["results"]}


def test_a_renter_lists_only_their_own(client, renter, other_renter, world):
    assert _ids(get(client, "", renter)) == {
        world["renter_mine"]["id"],
        world["renter_second"]["id"],
        world["renter_theirs"]["id"],
    }
    assert _ids(get(client, "", other_renter)) == {world["other_mine"]["id"]}
    assert _ids(get(client, "", make_user("renter"))) == set()


def test_a_landlord_lists_those_for_their_listings(client, landlord, other_landlord, world):
    assert _ids(get(client, "", landlord)) == {
        world["renter_mine"]["id"],
        world["renter_second"]["id"],
        world["other_mine"]["id"],
    }
    assert _ids(get(client, "", other_landlord)) == {world["renter_theirs"]["id"]}


def test_listing_needs_a_token(client):
    assert get(client, "").status_code == 401


def test_filters_by_listing_and_status(client, renter, landlord, world):
    assert _ids(get(client, "", landlord, listing_id=world["mine"])) == {
        world["renter_mine"]["id"],
        world["other_mine"]["id"],
    }
    post(client, f"/{world['renter_second']['id']}/reject", landlord)
    assert _ids(get(client, "", landlord, status="rejected")) == {world["renter_second"]["id"]}
    assert _ids(get(client, "", renter, status="submitted", listing_id=world["mine"])) == {
        world["renter_mine"]["id"]
    }
    assert _ids(get(client, "", renter, listing_id=str(uuid.uuid4()))) == set()


@pytest.mark.parametrize(
    "params",
    [{"status": "pending"}, {"listing_id": "not-a-uuid"}, {"page": "0"}, {"page": "abc"}],
    ids=["unknown status", "malformed listing id", "page zero", "page not a number"],
)
def test_bad_query_parameters_are_4xx(client, renter, world, params):
    response = get(client, "", renter, **params)
    assert response.status_code in (400, 404)  # DRF answers a page out of range with 404
    assert response.json()


def test_lists_are_paginated_newest_first(client, landlord):
    listing_id = publish_listing(landlord)["listing_id"]
    applied = [apply(client, make_user("renter"), listing_id)["id"] for _ in range(3)]
    first = get(client, "", landlord, page_size=2).json()
    assert first["count"] == 3
    assert [a["id"] for a in first["results"]] == applied[::-1][:2]
    assert first["next"] is not None
    second = get(client, "", landlord, page_size=2, page=2).json()
    assert [a["id"] for a in second["results"]] == applied[:1]
    assert second["next"] is None


def test_the_page_size_is_capped(client, renter, world):
    response = get(client, "", renter, page_size=10_000)
    assert response.status_code == 200
    assert len(response.json()["results"]) == 3


def test_the_applicant_and_the_listings_landlord_see_an_application(
    client, renter, landlord, world
):
    application = world["renter_mine"]
    for user in (renter, landlord):
        response = get(client, f"/{application['id']}", user)
        assert response.status_code == 200
        assert response.json() == application


def test_anyone_else_gets_404(client, other_renter, other_landlord, world):
    path = f"/{world['renter_mine']['id']}"
    assert get(client, path, other_renter).status_code == 404
    assert get(client, path, other_landlord).status_code == 404
    assert get(client, path).status_code == 401


@pytest.mark.parametrize("application_id", [str(uuid.uuid4()), "nope", "1"])
def test_an_unknown_application_is_404(client, renter, application_id):
    assert get(client, f"/{application_id}", renter).status_code == 404


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_applications_are_changed_only_through_their_actions(client, renter, world, method):
    path = f"/api/v1/applications/{world['renter_mine']['id']}"
    response = getattr(client, method)(
        path, {"status": "approved"}, content_type="application/json", headers=renter.header
    )
    assert response.status_code == 405
