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

from apps.listings.contracts import LISTING_CREATED, LISTING_UNPUBLISHED, LISTING_UPDATED
from apps.search import index, rebuild
from apps.search.consumers import listings_index
from apps.search.tests.support import changed, deleted, later
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
