"""`manage.py search_reindex`: a new index built from every listing event, then the
alias swapped to it, while the live index keeps answering.

1. Note each partition's end, read the topic from its first offset up to there,
   and fold the events in memory into each listing's last state (the newest
   version wins; a deletion is final).
2. Bulk-load the searchable listings into a new index of the current mapping.
3. Catch up: read from where step 1 stopped to the partitions' new ends, and
   apply those events to the new index too.
4. Swap the alias atomically, then catch up once more: the live consumer wrote
   its last events before the swap into the old index. External versions make
   every write idempotent and order-proof, so an event applied twice, or after a
   newer one, changes nothing.
5. Delete the old index.

It reads without joining a consumer group (assign()), so the live consumer's
offsets and inbox are untouched and it may keep running throughout.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition
from django.conf import settings

from apps.listings.contracts import EVENTS as LISTINGS_EVENTS
from apps.listings.contracts import LISTING_DELETED, ListingChanged
from apps.search import index
from kernel.events.envelope import Envelope
from kernel.events.kafka import consumer_config
from kernel.events.readers import PayloadError

Offsets = dict[int, int]  # partition -> next offset to read


@dataclass
class Folded:
    """Each listing's last state: (version, document or None if not searchable)."""

    listings: dict[str, tuple[int, dict[str, Any] | None]] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)
    events: int = 0
    unreadable: int = 0

    def apply(self, envelope: Envelope) -> str | None:
        """Fold one event in; the listing it changed, or None if it changed nothing."""
        if not envelope.event_type.startswith(f"{LISTINGS_EVENTS.source}."):
            return None
        self.events += 1
        try:
            if envelope.event_type == LISTING_DELETED.name:
                listing_id = str(LISTING_DELETED.read(envelope).listing_id)
                known = self.listings.get(listing_id, (0, None))[0]
                # Final, and above whatever was indexed (as services.listing_delete).
                version, doc = max(index.epoch_micros(envelope.occurred_at), known + 1), None
                self.deleted.add(listing_id)
            else:
                snapshot = ListingChanged.from_payload(envelope.payload).listing
                listing_id = str(snapshot.listing_id)
                if listing_id in self.deleted:
                    return None
                version = index.epoch_micros(snapshot.updated_at)
                doc = index.document(snapshot) if index.is_searchable(snapshot) else None
        except PayloadError:
            self.unreadable += 1  # the live consumer dead-letters it; nothing to index
            return None
        known = self.listings.get(listing_id)
        if known is not None and known[0] > version and listing_id not in self.deleted:
            return None
        self.listings[listing_id] = (version, doc)
        return listing_id


@dataclass
class Report:
    index: str
    events: int
    documents: int
    seconds: float
    replaced: list[str]

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def reindex(
    *, topic: str = LISTINGS_EVENTS.topic, say: Callable[[str], None] = lambda _: None
) -> Report:
    started = time.monotonic()
    folded = Folded()
    reader = Consumer(
        consumer_config(f"hearth.{settings.HEARTH_SERVICE}.reindex", {"enable.partition.eof": True})
    )
    try:
        position = _read(reader, topic, _first_offsets(reader, topic), folded.apply)
        say(f"read {folded.events} events, {len(folded.listings)} listings")
        new = index.new_index_name()
        index.create_index(new)
        searchable = [i for i, (_, doc) in folded.listings.items() if doc is not None]
        documents = index.bulk_put(new, _items(folded, searchable))
        say(f"indexed {documents} documents into {new}")
        position = _catch_up(reader, topic, position, new)
        replaced = index.swap_alias(new)
        say(f"alias {index.alias()} -> {new}")
        _catch_up(reader, topic, position, new)
        index.delete_indices(replaced)
    finally:
        reader.close()
    return Report(new, folded.events, documents, time.monotonic() - started, replaced)


def _items(folded: Folded, listing_ids):
    for listing_id in listing_ids:
        version, doc = folded.listings[listing_id]
        yield listing_id, version, doc


def _catch_up(reader: Consumer, topic: str, position: Offsets, target: str) -> Offsets:
    tail = Folded()
    changed: set[str] = set()

    def apply(envelope: Envelope) -> None:
        if (listing_id := tail.apply(envelope)) is not None:
            changed.add(listing_id)

    position = _read(reader, topic, position, apply)
    index.bulk_put(target, _items(tail, changed))
    return position


def _first_offsets(reader: Consumer, topic: str) -> Offsets:
    partitions = reader.list_topics(topic, timeout=10).topics[topic].partitions
    return {
        p: reader.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[0] for p in partitions
    }


def _read(
    reader: Consumer, topic: str, start: Offsets, apply: Callable[[Envelope], Any]
) -> Offsets:
    """Every message from `start` to each partition's end as it is now; the offsets
    reached. Raises rather than return a partial read."""
    ends = {p: reader.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in start}
    position = dict(start)
    remaining = {p for p in start if ends[p] > start[p]}
    if not remaining:
        return position
    reader.assign([TopicPartition(topic, p, position[p]) for p in remaining])
    deadline = time.monotonic() + settings.SEARCH_REINDEX_READ_TIMEOUT_SECONDS
    while remaining:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{topic}: partitions {sorted(remaining)} not read to the end")
        for message in reader.consume(500, 1.0):
            partition = message.partition()
            if message.error():
                if message.error().code() != KafkaError._PARTITION_EOF:
                    raise KafkaException(message.error())
                remaining.discard(partition)
                continue
            if partition not in remaining:
                continue
            offset = message.offset()
            if offset < ends[partition]:  # later events are the next catch-up's
                position[partition] = offset + 1
                try:
                    envelope = Envelope.from_json(message.value())
                except (ValueError, KeyError, TypeError):
                    pass  # undecodable: the live consumer dead-letters it
                else:
                    apply(envelope)
            if offset + 1 >= ends[partition]:
                remaining.discard(partition)
    reader.unassign()
    return position
