"""Listings' photo events into search results, through the inbox, against the real
Elasticsearch: photos shown in order and in the shape of listings' photo API,
changed and removed; kept for a listing not yet published; ignored once it is
deleted; and snapshots' staleness unchanged by photo events between them."""

import uuid
from datetime import datetime

import pytest

from apps.listings.contracts import LISTING_CREATED, LISTING_UPDATED, PHOTO_UPDATED
from apps.search import index
from apps.search.consumers import LISTINGS_INDEX
from apps.search.models import IndexedListing
from apps.search.tests.support import changed, deleted, later, photo_changed, photo_removed
from kernel.testing.events import deliver

pytestmark = pytest.mark.django_db

URL = "/api/v1/search/listings"


def results(client) -> dict[str, dict]:
    index.ensure_index()  # a test may not have written a document yet
    index.refresh()
    response = client.get(URL)
    assert response.status_code == 200, response.json()
    return {listing["id"]: listing for listing in response.json()["results"]}


def captions(client, listing_id: str) -> list[str]:
    return [image["caption"] for image in results(client)[listing_id]["images"]]


def document_version(listing_id: str) -> int:
    return index.client().get(index=index.alias(), id=listing_id)["_version"]


@pytest.fixture
def published():
    envelope = changed()
    deliver(LISTINGS_INDEX, envelope)
    return envelope.aggregate_id


def test_photos_added_are_shown_by_position_in_the_listings_api_shape(client, published):
    second = str(uuid.uuid4())
    deliver(LISTINGS_INDEX, photo_changed(published, photo_id=second, position=1, caption="Bath"))
    deliver(LISTINGS_INDEX, photo_changed(published, position=0, caption="Kitchen"))

    found = results(client)[published]
    assert [image["caption"] for image in found["images"]] == ["Kitchen", "Bath"]
    assert found["images"][1] == {
        "id": second,
        "status": "ready",
        "position": 1,
        "caption": "Bath",
        "width": 4032,
        "height": 3024,
        "variants": {
            "thumbnail": {
                "url": f"https://hearth.example.com/media/{second}-thumbnail.webp",
                "width": 320,
                "height": 240,
            },
            "card": {
                "url": f"https://hearth.example.com/media/{second}-card.webp",
                "width": 640,
                "height": 480,
            },
            "full": {
                "url": f"https://hearth.example.com/media/{second}-full.webp",
                "width": 1600,
                "height": 1200,
            },
        },
    }
    # The snapshot's own photo list stays as it was.
    assert found["photos"] == [{"url": "https://img.hearth.example/l/1.jpg", "caption": "Hall"}]


def test_a_caption_or_position_changed_and_a_photo_removed_show(client, published):
    hall, kitchen = str(uuid.uuid4()), str(uuid.uuid4())
    deliver(LISTINGS_INDEX, photo_changed(published, photo_id=hall, position=0, caption="Hall"))
    deliver(LISTINGS_INDEX, photo_changed(published, photo_id=kitchen, position=1, caption="Kit"))

    deliver(
        LISTINGS_INDEX,
        photo_changed(published, PHOTO_UPDATED, photo_id=kitchen, position=1, caption="Kitchen"),
    )
    assert captions(client, published) == ["Hall", "Kitchen"]

    # A reorder: one photo_updated per moved photo.
    deliver(
        LISTINGS_INDEX,
        photo_changed(published, PHOTO_UPDATED, photo_id=kitchen, position=0, caption="Kitchen"),
    )
    deliver(
        LISTINGS_INDEX,
        photo_changed(published, PHOTO_UPDATED, photo_id=hall, position=1, caption="Hall"),
    )
    assert captions(client, published) == ["Kitchen", "Hall"]

    deliver(LISTINGS_INDEX, photo_removed(published, kitchen))
    assert captions(client, published) == ["Hall"]
    assert deliver(LISTINGS_INDEX, photo_removed(published, hall))
    assert captions(client, published) == []


def test_a_photo_of_a_listing_not_yet_published_shows_once_it_is(client):
    draft = changed(LISTING_CREATED, status="draft")
    listing_id = draft.aggregate_id
    # Before any snapshot at all, then on the draft.
    deliver(LISTINGS_INDEX, photo_changed(listing_id, position=0, caption="Early"))
    deliver(LISTINGS_INDEX, draft)
    deliver(LISTINGS_INDEX, photo_changed(listing_id, position=1, caption="Draft"))
    assert listing_id not in results(client)

    deliver(LISTINGS_INDEX, changed(listing_id=listing_id, updated_at=later(5)))
    assert captions(client, listing_id) == ["Early", "Draft"]


def test_a_photo_event_after_the_deletion_changes_nothing(client, published):
    deliver(LISTINGS_INDEX, photo_changed(published, caption="Before"))
    deliver(LISTINGS_INDEX, deleted(published))
    row = IndexedListing.objects.get(pk=published)

    late = photo_changed(published, caption="After")
    assert deliver(LISTINGS_INDEX, late)  # applied once, to no effect
    assert not deliver(LISTINGS_INDEX, late)  # a redelivery is a no-op
    assert published not in results(client)
    after = IndexedListing.objects.get(pk=published)
    assert (after.version, after.photos, after.deleted) == (row.version, [], True)


def test_snapshots_stay_ordered_with_photo_events_between_them(client):
    first = changed(title="First title", updated_at=later(60))
    listing_id = first.aggregate_id
    deliver(LISTINGS_INDEX, first)
    # A photo event's time is before the snapshot's (the publisher's clocks differ):
    # the document's version still goes up.
    before = document_version(listing_id)
    deliver(LISTINGS_INDEX, photo_changed(listing_id, caption="Hall"))
    assert document_version(listing_id) == before + 1

    stale = changed(LISTING_UPDATED, listing_id=listing_id, title="Stale", updated_at=later(30))
    deliver(LISTINGS_INDEX, stale)
    found = results(client)[listing_id]
    assert found["title"] == "First title"
    assert captions(client, listing_id) == ["Hall"]

    newer = changed(LISTING_UPDATED, listing_id=listing_id, title="Newer", updated_at=later(120))
    deliver(LISTINGS_INDEX, newer)
    found = results(client)[listing_id]
    assert found["title"] == "Newer"
    assert [image["caption"] for image in found["images"]] == ["Hall"]
    row = IndexedListing.objects.get(pk=listing_id)
    updated_at = datetime.fromisoformat(newer.payload["listing"]["updated_at"])
    assert row.listing_version == index.epoch_micros(updated_at)
    assert document_version(listing_id) == row.version


def test_an_index_and_rows_from_before_photos_take_them_without_a_reindex(client):
    """The live index's mapping gains `images` in place; a row written before
    migration 0002 (no document kept) shows its photos with the next snapshot."""
    before_photos = {
        **index.MAPPING,
        "properties": {k: v for k, v in index.MAPPING["properties"].items() if k != "images"},
    }
    index.writer().indices.create(
        index=f"{index.alias()}-v1-before-photos",
        settings=index.index_settings(),
        mappings=before_photos,
        aliases={index.alias(): {"is_write_index": True}},
    )
    envelope = changed()
    listing_id = envelope.aggregate_id
    updated_at = datetime.fromisoformat(envelope.payload["listing"]["updated_at"])
    IndexedListing.objects.create(
        listing_id=listing_id,
        listing_version=index.epoch_micros(updated_at),
        version=index.epoch_micros(updated_at),
        searchable=True,
    )
    deliver(LISTINGS_INDEX, photo_changed(listing_id, caption="Hall"))
    assert IndexedListing.objects.get(pk=listing_id).photos[0]["caption"] == "Hall"

    deliver(LISTINGS_INDEX, changed(LISTING_UPDATED, listing_id=listing_id, updated_at=later(5)))
    assert captions(client, listing_id) == ["Hall"]
