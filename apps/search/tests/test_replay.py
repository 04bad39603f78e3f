"""Search learns the past from Kafka alone: events written before it existed are all
found once its consumer has run, a second replay (through the inbox, or a reindex
from the first offset) duplicates nothing, and the reindex swaps the alias to an
index with the same documents.

Real Kafka and Elasticsearch. The events go to a throwaway topic of this test,
made and written as the cluster's administrator, so the live listings topic (and
every consumer of it) never sees them.
"""

import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from django.conf import settings

from apps.listings.contracts import (
    LISTING_CREATED,
    LISTING_UNPUBLISHED,
    LISTING_UPDATED,
    PHOTO_UPDATED,
)
from apps.search import index, rebuild
from apps.search.consumers import listings_index
from apps.search.models import IndexedListing
from apps.search.tests.support import (
    changed,
    deleted,
    later,
    photo_changed,
    photo_removed,
)
from kernel.events.consumer import EventConsumer
from kernel.events.kafka import admin_config, producer_config
from kernel.events.replay import replay

pytestmark = pytest.mark.django_db(transaction=True)

LISTINGS = 60
ADMIN_VALUES = ("KAFKA_ADMIN_USERNAME", "KAFKA_ADMIN_PASSWORD")


@pytest.fixture
def topic(settings):
    """A topic of this test's own, and the administrator's sign-in for everything here."""
    admin_login = administrator()
    settings.KAFKA_USERNAME = admin_login["KAFKA_ADMIN_USERNAME"]
    settings.KAFKA_PASSWORD = admin_login["KAFKA_ADMIN_PASSWORD"]
    name = f"hearth.search.replay-test-{uuid.uuid4().hex[:8]}"
    admin = AdminClient(admin_config())
    admin.create_topics([NewTopic(name, 3, 1)])[name].result(30)
    yield name
    admin.delete_topics([name, f"{name}.dlq"])


def administrator() -> dict[str, str]:
    """The local stack's administrator values (var/secrets/env/provisioning.env, made
    by config.secrets), from the environment first as in CI."""
    path = Path(settings.BASE_DIR) / "var" / "secrets" / "env" / "provisioning.env"
    lines = path.read_text().splitlines() if path.exists() else []
    values = dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))
    return {name: os.environ.get(name, values.get(name, "")) for name in ADMIN_VALUES}


def history() -> tuple[list, set[str]]:
    """Listings' lives as events, and the ids that end up published."""
    events, published = [], set()
    for n in range(LISTINGS):
        draft = changed(LISTING_CREATED, status="draft", title=f"Flat number {n}")
        listing_id = draft.aggregate_id
        events += [
            draft,
            changed(listing_id=listing_id, title=f"Flat number {n}", updated_at=later(1)),
        ]
        if n % 10 == 1:  # taken off the market again
            events.append(
                changed(
                    LISTING_UNPUBLISHED,
                    listing_id=listing_id,
                    status="unpublished",
                    updated_at=later(2),
                )
            )
        elif n % 10 == 2:  # deleted, then an update that must not bring it back
            events += [
                deleted(listing_id),
                changed(LISTING_UPDATED, listing_id=listing_id, updated_at=later(3)),
            ]
        else:
            published.add(listing_id)
    return events, published


def write(topic: str, events: list) -> None:
    producer = Producer(producer_config())
    for envelope in events:
        producer.produce(topic, key=envelope.aggregate_id, value=envelope.to_json())
    assert producer.flush(30) == 0


def found(alias: str) -> list[str]:
    index.client().indices.refresh(index=alias)
    hits = index.client().search(index=alias, size=LISTINGS + 10, _source=False)
    return [hit["_id"] for hit in hits["hits"]["hits"]]


def test_replay_from_zero_finds_every_published_listing_and_twice_duplicates_nothing(topic):
    events, published = history()
    started = datetime.now(UTC)
    write(topic, events)  # all before search's consumer exists

    spec = listings_index(f"hearth.search.replay-test-{uuid.uuid4().hex[:8]}", topic)
    stats = EventConsumer(spec).run(until_drained=True)  # a new group: from the first offset
    assert stats.applied == len(events)
    assert stats.dead_lettered == 0
    first = found(index.alias())
    assert sorted(first) == sorted(published)

    # Again, through the inbox: every event a duplicate, nothing changed.
    replay(spec, since=started)
    again = EventConsumer(spec).run(until_drained=True)
    assert again.applied == 0
    assert again.duplicates == len(events)
    assert sorted(found(index.alias())) == sorted(published)

    # A reindex from the first offset, twice: a new index each time, the same documents.
    for _ in range(2):
        before = index.aliased_indices()
        report = rebuild.reindex(topic=topic)
        assert index.aliased_indices() == [report.index] != before
        assert report.events == len(events)
        assert report.documents == len(published)
        assert sorted(found(index.alias())) == sorted(published)
        assert not any(index.client().indices.exists(index=name) for name in before)


def shown(alias: str) -> dict[str, tuple[int, list[str]]]:
    """Each indexed listing's document version and photo captions, in order."""
    index.client().indices.refresh(index=alias)
    hits = index.client().search(index=alias, size=LISTINGS + 10, version=True)["hits"]["hits"]
    return {
        hit["_id"]: (hit["_version"], [image["caption"] for image in hit["_source"]["images"]])
        for hit in hits
    }


def test_a_reindex_keeps_photos_at_the_consumers_versions_and_the_consumer_writes_after(topic):
    events, expected = [], {}
    for n in range(6):
        draft = changed(LISTING_CREATED, status="draft", title=f"Flat number {n}")
        listing_id = draft.aggregate_id
        hall, kitchen = str(uuid.uuid4()), str(uuid.uuid4())
        events += [
            draft,
            photo_changed(listing_id, photo_id=hall, position=0, caption="Hall"),  # on the draft
            changed(listing_id=listing_id, updated_at=later(1)),
            photo_changed(listing_id, photo_id=kitchen, position=1, caption="Kitchen"),
            photo_changed(listing_id, PHOTO_UPDATED, photo_id=kitchen, position=0, caption="Kit"),
            photo_changed(listing_id, PHOTO_UPDATED, photo_id=hall, position=1, caption="Hall"),
        ]
        expected[listing_id] = ["Kit", "Hall"]
        if n % 3 == 1:
            events.append(photo_removed(listing_id, kitchen))
            expected[listing_id] = ["Hall"]
        elif n % 3 == 2:  # deleted, then a photo that must not bring it back
            events += [deleted(listing_id), photo_changed(listing_id, caption="Late")]
            del expected[listing_id]
    started = datetime.now(UTC)
    write(topic, events)

    spec = listings_index(f"hearth.search.replay-test-{uuid.uuid4().hex[:8]}", topic)
    assert EventConsumer(spec).run(until_drained=True).applied == len(events)
    live = shown(index.alias())
    assert {listing_id: captions for listing_id, (_, captions) in live.items()} == expected
    versions = dict(IndexedListing.objects.values_list("listing_id", "version"))
    assert {listing_id: version for listing_id, (version, _) in live.items()} == {
        listing_id: versions[uuid.UUID(listing_id)] for listing_id in expected
    }

    # The reindex folds the same events to the same documents at the same versions.
    report = rebuild.reindex(topic=topic)
    assert report.documents == len(expected)
    assert shown(index.alias()) == live

    # So the live consumer's next writes, into the new index, are not refused.
    listing_id = next(iter(expected))
    write(topic, [photo_changed(listing_id, position=2, caption="Garden")])
    assert EventConsumer(spec).run(until_drained=True).applied == 1
    version, captions = shown(index.alias())[listing_id]
    assert captions == [*expected[listing_id], "Garden"]
    assert version == IndexedListing.objects.get(pk=listing_id).version > live[listing_id][0]

    # Replayed through the inbox, then reindexed again: no photo twice, nothing moved.
    now = shown(index.alias())
    replay(spec, since=started)
    assert EventConsumer(spec).run(until_drained=True).duplicates == len(events) + 1
    assert shown(index.alias()) == now
    rebuild.reindex(topic=topic)
    assert shown(index.alias()) == now
