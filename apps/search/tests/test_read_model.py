"""Listings' events into the index through the inbox, against the real Elasticsearch:
only published listings are found, stale events and events after a deletion change
nothing, and Elasticsearch being down loses nothing."""

import pytest

from apps.listings.contracts import LISTING_LET, LISTING_UNPUBLISHED, LISTING_UPDATED
from apps.search import index
from apps.search.consumers import LISTINGS_INDEX
from apps.search.models import IndexedListing
from apps.search.tests.support import changed, deleted, later
from kernel.events.consumer import StoreUnavailable
from kernel.events.registry import consumer_spec
from kernel.models import InboxEvent
from kernel.testing.events import deliver

pytestmark = pytest.mark.django_db


def found() -> set[str]:
    index.refresh()
    hits = index.client().search(index=index.alias(), size=100, _source=False)
    return {hit["_id"] for hit in hits["hits"]["hits"]}


def test_the_consumer_reads_every_event_of_a_listings_life_and_photos():
    from apps.listings import contracts

    assert consumer_spec("hearth.search") is LISTINGS_INDEX
    assert LISTINGS_INDEX.topics == (contracts.EVENTS.topic,)
    # All of them, so an event listings adds with a reader search does not handle fails here.
    assert set(LISTINGS_INDEX.handlers) == set(contracts.EVENTS.events)


def test_only_published_listings_are_found_and_leaving_the_market_removes_them():
    published = [changed() for _ in range(4)]
    for envelope in published:
        assert deliver(LISTINGS_INDEX, envelope)
    ids = [e.aggregate_id for e in published]
    assert found() == set(ids)

    draft = changed(status="draft")
    deliver(LISTINGS_INDEX, draft)
    deliver(
        LISTINGS_INDEX,
        changed(LISTING_UNPUBLISHED, listing_id=ids[0], status="unpublished", updated_at=later()),
    )
    deliver(
        LISTINGS_INDEX, changed(LISTING_LET, listing_id=ids[1], status="let", updated_at=later())
    )
    deliver(LISTINGS_INDEX, deleted(ids[2]))
    assert found() == {ids[3]}
    assert IndexedListing.objects.get(pk=draft.aggregate_id).searchable is False


def test_an_update_after_a_delete_or_an_older_snapshot_changes_nothing():
    envelope = changed(title="Original title")
    listing_id = envelope.aggregate_id
    deliver(LISTINGS_INDEX, envelope)
    # Older than what is indexed: stale, ignored.
    deliver(
        LISTINGS_INDEX,
        changed(LISTING_UPDATED, listing_id=listing_id, title="Stale", updated_at=later(-60)),
    )
    index.refresh()
    assert (
        index.client().get(index=index.alias(), id=listing_id)["_source"]["title"]
        == "Original title"
    )

    deliver(LISTINGS_INDEX, deleted(listing_id))
    resurrecting = changed(LISTING_UPDATED, listing_id=listing_id, updated_at=later(60))
    assert deliver(LISTINGS_INDEX, resurrecting)  # applied once, to no effect
    assert not deliver(LISTINGS_INDEX, resurrecting)  # and a redelivery is a no-op
    assert listing_id not in found()
    row = IndexedListing.objects.get(pk=listing_id)
    assert row.deleted
    assert not row.searchable


def test_elasticsearch_down_is_waited_for_and_the_event_is_not_lost(settings):
    envelope = changed()
    real = settings.ELASTICSEARCH_URL
    settings.ELASTICSEARCH_URL = "http://127.0.0.1:9"  # nothing listens: connection refused
    with pytest.raises(StoreUnavailable):
        deliver(LISTINGS_INDEX, envelope)
    # Rolled back with the index write: not in the inbox, no version, so applied again.
    assert not InboxEvent.objects.filter(event_id=envelope.event_id).exists()
    assert not IndexedListing.objects.filter(pk=envelope.aggregate_id).exists()
    settings.ELASTICSEARCH_URL = real
    assert deliver(LISTINGS_INDEX, envelope)
    assert envelope.aggregate_id in found()
