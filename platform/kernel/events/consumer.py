"""Consuming events: one consumer group per service, each event applied once.

For each message: decode the envelope, find the handler for its type (types no
handler wants are skipped), then in one database transaction record the event
in the inbox and run the handler. The Kafka offset is committed only after that
transaction commits, so a crash at any point replays the event, and the inbox
turns the replay into a no-op.

A handler that keeps failing is retried a bounded number of times with backoff,
then the event goes to the group's dead-letter topic with the error, and the
consumer moves on. A handler the domain refuses (a kernel.errors.DomainError: a
rule said no, and says no again to the same event) is dead-lettered at once, with
the refusal's message; a handler that expects a refusal catches it itself.
A database, or another store a handler writes (raising StoreUnavailable), that is
down is not the event's fault: that is retried until it is back, never
dead-lettered.

Each handled event is a span that continues the trace its envelope carries (the
request that published it), linked to the relay's send span (the message's
headers), and is counted by outcome (kernel.observability.metrics).
"""

import logging
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from confluent_kafka import Consumer, KafkaError, Message, Producer
from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connection,
    transaction,
)

from kernel import errors
from kernel.events.context import handling
from kernel.events.envelope import Envelope
from kernel.events.kafka import consumer_config, producer_config
from kernel.events.readers import PayloadError
from kernel.health.heartbeat import Heartbeat
from kernel.observability import metrics, tracing

logger = logging.getLogger(__name__)

Handler = Callable[[Envelope], None]


@dataclass(frozen=True)
class ConsumerSpec:
    """What a service consumes: declared in the service's `consumers` module and
    named in its settings (HEARTH_EVENT_CONSUMERS)."""

    group_id: str  # "hearth.<service>[.<purpose>]"
    topics: tuple[str, ...]
    handlers: Mapping[str, Handler]
    # Empties the read model the handlers build, for a replay from the start.
    reset_read_model: Callable[[], None] | None = None
    max_attempts: int = 5
    backoff_seconds: float = 0.2

    @property
    def dead_letter_topic(self) -> str:
        return f"{self.group_id}.dlq"


@dataclass
class ConsumerStats:
    applied: int = 0
    duplicates: int = 0
    skipped: int = 0
    dead_lettered: int = 0


class PoisonEvent(Exception):
    """An event that cannot be applied however often it is retried."""


class StoreUnavailable(Exception):
    """A store the handler writes to, other than the database (e.g. Redis), is down:
    like a database outage, not the event's fault, so waited out, never dead-lettered."""


def _is_poison(error: Exception) -> bool:
    """Retrying cannot help: the event is at fault (a payload its reader cannot read,
    among others), or the domain refuses it."""
    return isinstance(error, PoisonEvent | PayloadError | errors.DomainError)


def apply_once(group_id: str, envelope: Envelope, handler: Handler) -> bool:
    """Record the event in the group's inbox and run the handler, in one transaction.
    False, and no effect, if the group had already applied it."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO inbox (consumer_group, event_id, event_type, processed_at) "
                "VALUES (%s, %s, %s, now()) ON CONFLICT DO NOTHING",
                [group_id, envelope.event_id, envelope.event_type],
            )
            if cursor.rowcount == 0:
                return False
        with handling(envelope):
            handler(envelope)
    return True


class EventConsumer:
    def __init__(self, spec: ConsumerSpec, *, stop: threading.Event | None = None) -> None:
        self.spec = spec
        self.stop = stop or threading.Event()
        self.stats = ConsumerStats()
        self.heartbeat = Heartbeat(spec.group_id)
        # End-of-partition signals tell a drain (replays, tests) it has read everything.
        self._consumer = Consumer(consumer_config(spec.group_id, {"enable.partition.eof": True}))
        self._dead_letters = tracing.instrument_producer(Producer(producer_config()))
        self._tracer = tracing.tracer(__name__)

    def run(self, *, until_drained: bool = False) -> ConsumerStats:
        """Consume until stopped (SIGTERM sets `stop`), or, for replays and tests,
        until every partition it was given has been read to its end: a drain ends
        as soon as it is done, rather than after guessing an idle time."""
        unread: set[tuple[str, int]] = set()  # assigned, and not read to the end since
        assigned = threading.Event()

        def on_assign(_consumer: Consumer, partitions: list) -> None:
            unread.update((p.topic, p.partition) for p in partitions)
            assigned.set()

        def on_revoke(_consumer: Consumer, partitions: list) -> None:
            unread.difference_update((p.topic, p.partition) for p in partitions)

        self._consumer.subscribe(list(self.spec.topics), on_assign=on_assign, on_revoke=on_revoke)
        try:
            while not self.stop.is_set():
                self.heartbeat.beat()
                message = self._consumer.poll(0.5)
                if message is None:
                    continue
                if message.error():
                    if message.error().code() != KafkaError._PARTITION_EOF:
                        logger.error("consumer error", extra={"error": str(message.error())})
                        continue
                    unread.discard((message.topic(), message.partition()))
                    if until_drained and assigned.is_set() and not unread:
                        break
                    continue
                unread.add((message.topic(), message.partition()))
                if not self.process(message):
                    break  # stopped mid-retry: not committed, so it is redelivered
                # Asynchronous: no broker round trip per event. A commit lost in a
                # crash only replays events the inbox already holds: no-ops.
                self._consumer.commit(message=message, asynchronous=True)
        finally:
            # Leaves the group at once, so its partitions move to another member
            # now rather than after the session timeout.
            self._consumer.close()
            self._dead_letters.flush(10)
        return self.stats

    def process(self, message: Message) -> bool:
        """Settle one message: applied, duplicate, skipped or dead-lettered. False
        if the consumer was stopped before it could."""
        try:
            envelope = Envelope.from_json(message.value())
        except (ValueError, KeyError, TypeError) as error:
            self._dead_letter(message, error)
            return True
        handler = self.spec.handlers.get(envelope.event_type)
        if handler is None:
            self.stats.skipped += 1
            self._count(envelope, "skipped")
            return True
        started = time.perf_counter()
        with self._tracer.start_as_current_span(
            f"{message.topic()} process",
            context=tracing.context_from(envelope.trace_context),
            kind=tracing.trace.SpanKind.CONSUMER,
            links=tracing.link_to(tracing.headers_carrier(message.headers())),
            attributes={
                "messaging.system": "kafka",
                "messaging.operation.type": "process",
                "messaging.destination.name": message.topic(),
                "messaging.destination.partition.id": str(message.partition()),
                "messaging.kafka.offset": message.offset(),
                "messaging.consumer.group.name": self.spec.group_id,
                "messaging.message.id": str(envelope.event_id),
                "hearth.event_type": envelope.event_type,
            },
        ):
            settled = self._settle(message, envelope, handler)
        metrics.EVENT_HANDLING_SECONDS.labels(group=self.spec.group_id).observe(
            time.perf_counter() - started
        )
        return settled

    def _count(self, envelope: Envelope, outcome: str) -> None:
        metrics.EVENTS_CONSUMED.labels(
            group=self.spec.group_id, event_type=envelope.event_type, outcome=outcome
        ).inc()

    def _settle(self, message: Message, envelope: Envelope, handler: Handler) -> bool:
        attempt = 1
        while not self.stop.is_set():
            self.heartbeat.beat()  # retrying or waiting for a store is alive, not hung
            try:
                self._apply(envelope, handler)
                return True
            except (OperationalError, InterfaceError) as error:
                self._wait_for_database(error)  # not the event's fault: no attempt used
            except StoreUnavailable as error:
                logger.warning("store unavailable, waiting", extra={"error": str(error)})
                self.stop.wait(1.0)
            except Exception as error:
                if attempt >= self.spec.max_attempts or _is_poison(error):
                    span = tracing.trace.get_current_span()
                    span.record_exception(error)
                    span.set_status(tracing.trace.StatusCode.ERROR, "dead-lettered")
                    self._dead_letter(message, error)
                    self._count(envelope, "dead_lettered")
                    return True
                logger.warning(
                    "event handler failed, retrying",
                    extra={
                        "event_id": str(envelope.event_id),
                        "attempt": attempt,
                        "error": repr(error),
                    },
                )
                self.stop.wait(self.spec.backoff_seconds * 2 ** (attempt - 1))
                attempt += 1
        return False

    def _apply(self, envelope: Envelope, handler: Handler) -> None:
        close_old_connections()
        if apply_once(self.spec.group_id, envelope, handler):
            self.stats.applied += 1
            self._count(envelope, "applied")
        else:
            self.stats.duplicates += 1
            self._count(envelope, "duplicate")

    def _wait_for_database(self, error: DatabaseError) -> None:
        logger.warning("database unavailable, waiting", extra={"error": str(error)})
        connection.close()
        self.stop.wait(1.0)

    def _dead_letter(self, message: Message, error: Exception) -> None:
        headers = [
            *(message.headers() or []),
            ("dlq-error", repr(error)[:2000]),
            ("dlq-traceback", "".join(traceback.format_exception(error))[-8000:]),
            ("dlq-original-topic", message.topic()),
            ("dlq-original-partition", str(message.partition())),
            ("dlq-original-offset", str(message.offset())),
            ("dlq-consumer-group", self.spec.group_id),
            ("dlq-failed-at", datetime.now(UTC).isoformat()),
        ]
        self._dead_letters.produce(
            self.spec.dead_letter_topic, key=message.key(), value=message.value(), headers=headers
        )
        # The offset is committed right after this returns: the dead letter must be
        # safely in Kafka first.
        if self._dead_letters.flush(30) > 0:
            raise RuntimeError(f"could not write to {self.spec.dead_letter_topic}")
        self.stats.dead_lettered += 1
        logger.error(
            "event dead-lettered",
            extra={
                "topic": self.spec.dead_letter_topic,
                "offset": message.offset(),
                "error": repr(error),
            },
        )
