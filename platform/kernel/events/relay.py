"""The outbox relay: publishes committed outbox rows to Kafka, in id order.

One relay is active per deployable at a time: the leader holds a PostgreSQL
advisory lock, and standby replicas wait for it. A single publisher keeps each
aggregate's events in order (rows from several concurrent relays could overtake
each other), and the lock is released by PostgreSQL the moment the leader's
session dies, so a standby takes over within a second.

Delivery is at-least-once between Kafka and the outbox: a relay killed after
Kafka acknowledged a batch and before it marked the rows leaves them unmarked.
Before publishing anything, a new leader therefore reads the tail of its topics
and marks the rows found there, so such a batch is not sent twice.

Traced: each event's send span continues the trace its envelope carries (the
request that wrote the row), and puts its own context in the message's headers;
the batch's span links to every event it publishes.
"""

import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from confluent_kafka import KafkaError, Producer
from django.db import connection

from kernel.events.kafka import producer_config, read_to_end
from kernel.events.outbox import NOTIFY_CHANNEL_PREFIX, prune_published
from kernel.health.heartbeat import Heartbeat
from kernel.observability import metrics, tracing

logger = logging.getLogger(__name__)

# The event id, not the outbox row id: row ids restart if a table is recreated or
# restored, while an event id is unique forever, so matching by it can never
# mark an unpublished event as published.
EVENT_ID_HEADER = "hearth-event-id"
RELAY_APPLICATION_NAME = "hearth-outbox-relay"
STOP_CHECK_SECONDS = 0.5


@dataclass(frozen=True)
class OutboxRow:
    event_id: str
    topic: str
    key: str
    event_type: str
    envelope_json: str
    trace_context_json: str | None = None

    @property
    def trace_context(self) -> dict[str, str]:
        return json.loads(self.trace_context_json) if self.trace_context_json else {}

    def links(self) -> list:
        return tracing.link_to(self.trace_context)


class OutboxRelay:
    idle_wait_seconds = 5.0  # a safety net only: commits wake the relay
    standby_wait_seconds = 1.0  # how soon a standby notices the leader is gone
    prune_every_seconds = 600.0

    def __init__(
        self,
        *,
        batch_size: int = 500,
        keep_published: timedelta = timedelta(days=3),
        stop: threading.Event | None = None,
    ) -> None:
        self.batch_size = batch_size
        self.keep_published = keep_published
        self._next_prune = 0.0
        self.stop = stop or threading.Event()
        self.published = 0
        self.heartbeat = Heartbeat("relay")
        self._tracer = tracing.tracer(__name__)

    # -- the loop ----------------------------------------------------------------

    def run(self) -> None:
        with self._session() as session:
            schema = session.execute("SELECT current_schema()").fetchone()[0]
            session.execute(f'LISTEN "{NOTIFY_CHANNEL_PREFIX}{schema}"')
            while not self.stop.is_set():
                self.heartbeat.beat()
                if self._try_lead(session, schema):
                    logger.info("outbox relay leading", extra={"schema": schema})
                    self._lead(session)
                    return
                self.stop.wait(self.standby_wait_seconds)

    def _lead(self, session) -> None:
        producer = tracing.instrument_producer(Producer(producer_config()))
        self._reconcile()
        while not self.stop.is_set():
            self.heartbeat.beat()
            rows = self._unpublished()
            if rows:
                with self._tracer.start_as_current_span(
                    "outbox publish",
                    links=[link for row in rows[:128] for link in row.links()],
                    attributes={"messaging.batch.message_count": len(rows)},
                ):
                    delivered = self._publish(producer, rows)
                    self._mark_published(delivered)
                if len(delivered) < len(rows):
                    self._back_off_and_reconcile()
                continue
            self._prune_when_due()
            self._wait_for_commit(session)
        producer.flush(30)

    def _prune_when_due(self) -> None:
        # Only when idle: pruning never delays publishing.
        if time.monotonic() >= self._next_prune:
            pruned = prune_published(older_than=self.keep_published)
            if pruned:
                logger.info("pruned published outbox rows", extra={"deleted": pruned})
            self._next_prune = time.monotonic() + self.prune_every_seconds

    # -- database ------------------------------------------------------------------

    @contextmanager
    def _session(self) -> Iterator:
        """A dedicated connection for LISTEN and the leader lock: both live as long
        as the session, so they must not share Django's connection, which may be
        closed and reopened between queries."""
        raw = connection.get_new_connection(connection.get_connection_params())
        raw.autocommit = True
        # Names the process in pg_stat_activity, so an operator (or a test) can see
        # which replica holds the leader lock.
        raw.execute(
            "SELECT set_config('application_name', %s, false)",
            [f"{RELAY_APPLICATION_NAME} pid={os.getpid()}"],
        )
        try:
            yield raw
        finally:
            raw.close()

    @staticmethod
    def _try_lead(session, schema: str) -> bool:
        return session.execute(
            "SELECT pg_try_advisory_lock(hashtext(%s))", [f"outbox-relay:{schema}"]
        ).fetchone()[0]

    def _wait_for_commit(self, session) -> None:
        # Notifications sent while the relay was busy are queued on the session,
        # so a commit between the last query and this wait is never missed. Waited
        # in short slices, so a stop (SIGTERM) is seen at once, not after 5 s.
        deadline = time.monotonic() + self.idle_wait_seconds
        while not self.stop.is_set() and time.monotonic() < deadline:
            if any(True for _ in session.notifies(timeout=STOP_CHECK_SECONDS, stop_after=1)):
                return

    def _unpublished(self) -> list[OutboxRow]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT event_id::text, topic, key, event_type, envelope::text, "
                "(envelope->'trace_context')::text FROM outbox "
                "WHERE published_at IS NULL ORDER BY id LIMIT %s",
                [self.batch_size],
            )
            return [OutboxRow(*row) for row in cursor.fetchall()]

    @staticmethod
    def _mark_published(event_ids: list[str]) -> int:
        if not event_ids:
            return 0
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE outbox SET published_at = now() "
                "WHERE event_id = ANY(%s::uuid[]) AND published_at IS NULL",
                [event_ids],
            )
            return cursor.rowcount

    # -- Kafka ---------------------------------------------------------------------

    def _publish(self, producer: Producer, rows: list[OutboxRow]) -> list[str]:
        delivered: list[str] = []
        for row in rows:
            self._produce(producer, row, delivered)
        # Blocks until every message is acknowledged or has failed; idempotence
        # keeps the order within each partition through the producer's retries.
        while producer.flush(1.0) > 0:
            self.heartbeat.beat()  # waiting for the brokers on purpose
        self.published += len(delivered)
        return delivered

    @staticmethod
    def _produce(producer: Producer, row: OutboxRow, delivered: list[str]) -> None:
        def on_delivery(error: KafkaError | None, _message) -> None:
            if error is None:
                delivered.append(row.event_id)
                metrics.EVENTS_PUBLISHED.labels(topic=row.topic).inc()
            else:
                logger.warning(
                    "outbox event not delivered",
                    extra={"event_id": row.event_id, "error": str(error)},
                )

        while True:
            try:
                with tracing.attached(tracing.context_from(row.trace_context)):
                    producer.produce(
                        row.topic,
                        key=row.key.encode(),
                        value=row.envelope_json.encode(),
                        headers=[(EVENT_ID_HEADER, row.event_id), ("event_type", row.event_type)],
                        on_delivery=on_delivery,
                    )
                return
            except BufferError:  # the local queue is full: let deliveries drain it
                producer.poll(0.1)

    def _back_off_and_reconcile(self) -> None:
        self.stop.wait(1.0)
        self._reconcile()

    def _reconcile(self) -> None:
        """Mark unmarked rows whose events are already in Kafka: the tail of each
        topic holds every batch a previous leader sent but did not mark."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT DISTINCT topic FROM outbox WHERE published_at IS NULL")
            topics = [topic for (topic,) in cursor.fetchall()]
        found: list[str] = []
        for topic in topics:
            found.extend(self._event_ids_in_tail(topic))
        marked = self._mark_published(found)
        if marked:
            logger.info("outbox rows found already in Kafka, marked", extra={"marked": marked})

    def _event_ids_in_tail(self, topic: str) -> list[str]:
        ids = []
        for message in read_to_end(topic, tail=2 * self.batch_size):
            header = dict(message.headers() or []).get(EVENT_ID_HEADER)
            if header is not None:
                ids.append(header.decode())
        return ids
