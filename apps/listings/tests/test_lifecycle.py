"""A listing's life through the API: detail visibility, edits, publishing,
unpublishing and deletion, with the permission rules, the refused transitions and
the event each change writes to the outbox.

Transactional: the cached detail is retired on commit, as in production, so a
read after a change sees what a client would see."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.listings.contracts import (
    LISTING_DELETED,
    LISTING_PUBLISHED,
    LISTING_UNPUBLISHED,
    LISTING_UPDATED,
    ListingStatus,
)
from apps.listings.models import Listing
from apps.listings.tests.helpers import URL, events, make_listing, payload

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def draft(api, landlord):
    response = api.post(URL, payload(), format="json", headers=landlord.header)
    assert response.status_code == 201
    return response.json()


def _url(listing_id, action: str = "") -> str:
    return f"{URL}/{listing_id}" + (f"/{action}" if action else "")


def _set_status(listing_id: str, status: str) -> None:
    Listing.objects.filter(id=listing_id).update(status=status)


# --- detail -----------------------------------------------------------------


def test_draft_is_visible_only_to_its_landlord(api, draft, landlord, other_landlord, renter):
    assert api.get(_url(draft["id"]), headers=landlord.header).json()["id"] == draft["id"]
    assert api.get(_url(draft["id"])).status_code == 404
    assert api.get(_url(draft["id"]), headers=renter.header).status_code == 404
    assert api.get(_url(draft["id"]), headers=other_landlord.header).status_code == 404


@pytest.mark.parametrize("status", ["published", "let"])
def test_published_and_let_listings_are_visible_to_anyone(api, landlord, renter, status):
    listing = make_listing(landlord.id, status=status)
    for headers in ({}, renter.header, landlord.header):
        response = api.get(_url(listing.id), headers=headers)
        assert response.status_code == 200
        assert response.json()["status"] == status


def test_unpublished_listing_is_hidden_from_others(api, landlord, renter):
    listing = make_listing(landlord.id, status="unpublished")
    assert api.get(_url(listing.id), headers=renter.header).status_code == 404
    assert api.get(_url(listing.id), headers=landlord.header).status_code == 200


def test_unknown_and_malformed_ids_are_404(api, landlord):
    assert api.get(_url(uuid.uuid4())).status_code == 404
    assert api.get(_url("not-a-uuid")).status_code == 404
    assert api.get(_url("1")).status_code == 404
    unknown = _url(uuid.uuid4())
    assert (
        api.patch(unknown, {"title": "x"}, format="json", headers=landlord.header).status_code
        == 404
    )
    assert api.delete(unknown, headers=landlord.header).status_code == 404
    assert api.post(_url(uuid.uuid4(), "publish"), headers=landlord.header).status_code == 404


def test_uppercase_id_is_the_same_listing(api, landlord):
    listing = make_listing(landlord.id)
    assert api.get(_url(str(listing.id).upper())).json()["id"] == str(listing.id)


def test_put_is_not_offered(api, landlord, draft):
    response = api.put(_url(draft["id"]), payload(), format="json", headers=landlord.header)
    assert response.status_code == 405


# --- mine ---------------------------------------------------------------------


def test_mine_lists_every_status_of_the_landlord_only(api, landlord, other_landlord, renter):
    mine = {make_listing(landlord.id, status=status).id for status in ListingStatus}
    make_listing(other_landlord.id)

    response = api.get(f"{URL}/mine", headers=landlord.header)

    assert response.status_code == 200
    assert {uuid.UUID(item["id"]) for item in response.json()["results"]} == mine
    assert response.json()["count"] == 4
    assert api.get(f"{URL}/mine").status_code == 401
    assert api.get(f"{URL}/mine", headers=renter.header).status_code == 403


# --- edit ---------------------------------------------------------------------


def test_owner_edits_and_the_event_carries_the_new_state(api, draft, landlord):
    response = api.patch(
        _url(draft["id"]),
        {"title": "Renovated", "monthly_rent": {"amount": "1500", "currency": "EUR"}},
        format="json",
        headers=landlord.header,
    )

    assert response.status_code == 200, response.json()
    assert response.json()["title"] == "Renovated"
    assert response.json()["monthly_rent"] == {"amount": "1500.00", "currency": "EUR"}
    for untouched in ("description", "amenities", "photos", "country"):  # no defaults applied
        assert response.json()[untouched] == draft[untouched]
    [envelope] = events(LISTING_UPDATED.name)
    snapshot = envelope["payload"]["listing"]
    assert snapshot["title"] == "Renovated"
    assert snapshot["monthly_rent"] == {"amount": "1500.00", "currency": "EUR"}
    assert snapshot["updated_at"] > events()[0]["payload"]["listing"]["updated_at"]


def test_an_edit_that_changes_nothing_publishes_nothing(api, draft, landlord):
    response = api.patch(
        _url(draft["id"]), {"title": draft["title"]}, format="json", headers=landlord.header
    )
    assert response.status_code == 200
    assert events(LISTING_UPDATED.name) == []
    assert (
        api.patch(_url(draft["id"]), {}, format="json", headers=landlord.header).status_code == 200
    )
    assert events(LISTING_UPDATED.name) == []


def test_edit_permissions(api, draft, other_landlord, renter):
    url = _url(draft["id"])
    assert api.patch(url, {"title": "x"}, format="json").status_code == 401
    assert api.patch(url, {"title": "x"}, format="json", headers=renter.header).status_code == 403
    assert (
        api.patch(url, {"title": "x"}, format="json", headers=other_landlord.header).status_code
        == 404
    )
    assert Listing.objects.get(id=draft["id"]).title == draft["title"]
    assert events(LISTING_UPDATED.name) == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 121}, "title"),
        ({"monthly_rent": {"amount": "-1", "currency": "EUR"}}, "monthly_rent"),
        ({"monthly_rent": {"amount": "1500"}}, "monthly_rent"),
        ({"monthly_rent": {"amount": "100", "currency": "EUR"}}, "deposit"),  # deposit > 12x
        ({"monthly_rent": {"amount": "1500", "currency": "USD"}}, "deposit"),  # currencies differ
        ({"deposit": {"amount": "99999", "currency": "EUR"}}, "deposit"),
        ({"bathrooms": 0.7}, "bathrooms"),
        ({"available_from": "2000-01-01"}, "available_from"),
        ({"photos": [{"url": "mailto:a@b.example"}]}, "photos"),
        ({"bedrooms": "many"}, "bedrooms"),
    ],
)
def test_edit_is_validated_like_create(api, draft, landlord, changes, field):
    response = api.patch(_url(draft["id"]), changes, format="json", headers=landlord.header)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert events(LISTING_UPDATED.name) == []


def test_rent_and_deposit_can_change_currency_together(api, draft, landlord):
    response = api.patch(
        _url(draft["id"]),
        {
            "monthly_rent": {"amount": "1500", "currency": "GBP"},
            "deposit": {"amount": "1500", "currency": "GBP"},
        },
        format="json",
        headers=landlord.header,
    )
    assert response.status_code == 200, response.json()
    assert response.json()["deposit"] == {"amount": "1500.00", "currency": "GBP"}


def test_an_available_from_that_has_passed_may_be_kept(api, landlord):
    past = timezone.localdate() - timedelta(days=10)
    listing = make_listing(landlord.id, available_from=past)
    response = api.patch(
        _url(listing.id),
        {"available_from": past.isoformat(), "title": "Still here"},
        format="json",
        headers=landlord.header,
    )
    assert response.status_code == 200, response.json()
    assert response.json()["available_from"] == past.isoformat()


def test_a_let_listing_cannot_be_edited(api, draft, landlord):
    _set_status(draft["id"], "let")
    response = api.patch(_url(draft["id"]), {"title": "x"}, format="json", headers=landlord.header)
    assert response.status_code == 409
    assert Listing.objects.get(id=draft["id"]).title == draft["title"]
    assert events(LISTING_UPDATED.name) == []


def test_malformed_patch_body_is_400(api, draft, landlord):
    response = api.generic(
        "PATCH",
        _url(draft["id"]),
        b"{oops",
        content_type="application/json",
        headers=landlord.header,
    )
    assert response.status_code == 400


# --- publish / unpublish --------------------------------------------------------


def test_publish_then_unpublish_then_publish_again(api, draft, landlord):
    published = api.post(_url(draft["id"], "publish"), headers=landlord.header)
    assert published.status_code == 200
    assert published.json()["status"] == "published"
    assert published.json()["published_at"] is not None
    assert api.get(_url(draft["id"])).status_code == 200  # now public

    unpublished = api.post(_url(draft["id"], "unpublish"), headers=landlord.header)
    assert unpublished.status_code == 200
    assert unpublished.json()["status"] == "unpublished"
    assert api.get(_url(draft["id"])).status_code == 404  # hidden again, at once

    assert api.post(_url(draft["id"], "publish"), headers=landlord.header).status_code == 200
    assert [e["event_type"] for e in events()] == [
        "listings.listing_created",
        LISTING_PUBLISHED.name,
        LISTING_UNPUBLISHED.name,
        LISTING_PUBLISHED.name,
    ]
    statuses = [e["payload"]["listing"]["status"] for e in events()]
    assert statuses == ["draft", "published", "unpublished", "published"]
    assert all(e["aggregate_id"] == draft["id"] for e in events())
    assert events()[1]["payload"]["listing"]["published_at"] is not None


@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("published", "publish"),
        ("let", "publish"),
        ("draft", "unpublish"),
        ("unpublished", "unpublish"),
        ("let", "unpublish"),
    ],
)
def test_forbidden_transitions_are_409(api, draft, landlord, status, action):
    _set_status(draft["id"], status)
    response = api.post(_url(draft["id"], action), headers=landlord.header)
    assert response.status_code == 409
    assert Listing.objects.get(id=draft["id"]).status == status
    assert len(events()) == 1  # only the creation


@pytest.mark.parametrize("action", ["publish", "unpublish"])
def test_transition_permissions(api, draft, other_landlord, renter, action):
    url = _url(draft["id"], action)
    assert api.post(url).status_code == 401
    assert api.post(url, headers=renter.header).status_code == 403
    assert api.post(url, headers=other_landlord.header).status_code == 404
    assert len(events()) == 1


# --- delete ---------------------------------------------------------------------


def test_owner_deletes_a_published_listing(api, draft, landlord):
    api.post(_url(draft["id"], "publish"), headers=landlord.header)
    assert api.get(_url(draft["id"])).status_code == 200  # now cached

    assert api.delete(_url(draft["id"]), headers=landlord.header).status_code == 204

    assert not Listing.objects.filter(id=draft["id"]).exists()
    assert api.get(_url(draft["id"])).status_code == 404
    [envelope] = events(LISTING_DELETED.name)
    assert envelope["payload"] == {"listing_id": draft["id"], "landlord_id": landlord.id}
    assert api.delete(_url(draft["id"]), headers=landlord.header).status_code == 404


def test_delete_permissions(api, draft, other_landlord, renter):
    url = _url(draft["id"])
    assert api.delete(url).status_code == 401
    assert api.delete(url, headers=renter.header).status_code == 403
    assert api.delete(url, headers=other_landlord.header).status_code == 404
    assert Listing.objects.filter(id=draft["id"]).exists()
    assert events(LISTING_DELETED.name) == []
