"""`manage.py search_reindex`: a new index built from every listing event, then the
alias swapped to it, while the live index keeps answering.

1. Note each partition's end, read the topic from its first offset up to there,
   and fold the events in memory into each listing's last state, by the rules the
   consumer applies (apps.search.listing_state): the same documents, photos
   included, at the same versions.
2. Bulk-load the searchable listings into a new index of the current mapping.
3. Catch up: read from where step 1 stopped to the partitions' new ends, and
   apply those events to the new index too.
4. Swap the alias atomically, then catch up once more: the live consumer wrote
   its last events before the swap into the old index. External versions make
   every write idempotent and order-proof, so an event applied twice, or after a
   newer one, changes nothing; and since the consumer reaches the same versions,
   its writes after the swap land above the reindex's.
5. Delete the old index.

It reads without joining a consumer group (assign()), so the live consumer's
offsets and inbox are untouched and it may keep running throughout.
"""

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition
from django.conf import settings

from apps.listings.contracts import EVENTS as LISTINGS_EVENTS
from apps.listings.contracts import ListingChanged, ListingDeleted, PhotoChanged, PhotoRemoved
from apps.search import index
from apps.search.listing_state import ListingState
from kernel.events.envelope import Envelope
from kernel.events.kafka import consumer_config
from kernel.events.readers import PayloadError

Offsets = dict[int, int]  # partition -> next offset to read


@dataclass
class Folded:
    """Each listing's state, by the consumer's own rules (apps.search.listing_state),
    so a listing's document gets the version the live consumer gives it."""

    listings: dict[str, ListingState] = field(default_factory=dict)
    events: int = 0
    unreadable: int = 0

    def apply(self, envelope: Envelope) -> str | None:
        """Fold one event in; the listing it changed, or None if it changed nothing."""
        if not envelope.event_type.startswith(f"{LISTINGS_EVENTS.source}."):
            return None
        self.events += 1
        try:
            change = _change(envelope)
        except PayloadError:
            self.unreadable += 1  # the live consumer dead-letters it; nothing to index
            return None
        if change is None:
            return None  # an event search does not consume
        listing_id, apply = change
        if not apply(self.listings.setdefault(listing_id, ListingState())):
            return None
        return listing_id

    def items(self, listing_ids: Iterable[str]) -> Iterator[tuple[str, int, dict[str, Any] | None]]:
        """What the index should hold for each listing: its document, or None (removed)."""
        for listing_id in listing_ids:
            state = self.listings[listing_id]
            yield listing_id, state.version, state.indexed()


Change = tuple[str, Callable[[ListingState], bool]]  # a listing, and what to do to its state


def _snapshot(envelope: Envelope) -> Change:
    snapshot = ListingChanged.from_payload(envelope.payload).listing
    return str(snapshot.listing_id), lambda state: state.apply_snapshot(snapshot)


def _deletion(envelope: Envelope) -> Change:
    deleted = ListingDeleted.from_payload(envelope.payload)
    return str(deleted.listing_id), lambda state: state.apply_deletion(envelope.occurred_at)


def _photo(envelope: Envelope) -> Change:
    changed = PhotoChanged.from_payload(envelope.payload)
    return str(changed.listing_id), lambda state: state.apply_photo(
        changed.photo, envelope.occurred_at
    )


def _photo_removal(envelope: Envelope) -> Change:
    removed = PhotoRemoved.from_payload(envelope.payload)
    return str(removed.listing_id), lambda state: state.apply_photo_removal(
        str(removed.photo_id), envelope.occurred_at
    )


# Keyed by reader as apps.search.consumers' handlers are, so both read the same events alike.
CHANGES = LISTINGS_EVENTS.handlers_by_reader(
    {
        ListingChanged: _snapshot,
        ListingDeleted: _deletion,
        PhotoChanged: _photo,
        PhotoRemoved: _photo_removal,
    }
)


def _change(envelope: Envelope) -> Change | None:
    """The listing an event is about and what it does to its state, as
    apps.search.consumers reads it; None for an event search does not consume."""
    change = CHANGES.get(envelope.event_type)
    return None if change is None else change(envelope)


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
        searchable = [i for i, state in folded.listings.items() if state.indexed() is not None]
        documents = index.bulk_put(new, folded.items(searchable))
        say(f"indexed {documents} documents into {new}")
        position = _catch_up(reader, topic, position, folded, new)
        replaced = index.swap_alias(new)
        say(f"alias {index.alias()} -> {new}")
        _catch_up(reader, topic, position, folded, new)
        index.delete_indices(replaced)
    finally:
        reader.close()
    return Report(new, folded.events, documents, time.monotonic() - started, replaced)


def _catch_up(
    reader: Consumer, topic: str, position: Offsets, folded: Folded, target: str
) -> Offsets:
    """The events since `position` folded on top of the rest (a photo event needs
    its listing's document), and the listings they changed written to `target`."""
    changed: set[str] = set()

    def apply(envelope: Envelope) -> None:
        if (listing_id := folded.apply(envelope)) is not None:
            changed.add(listing_id)

    position = _read(reader, topic, position, apply)
    index.bulk_put(target, folded.items(changed))
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
