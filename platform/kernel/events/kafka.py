"""Kafka client settings, in one place so every producer, consumer and admin
client of every deployable is configured alike."""

import logging
import time
from collections.abc import Iterator
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition
from django.conf import settings


def _common() -> dict[str, Any]:
    return {
        "bootstrap.servers": settings.KAFKA_BOOTSTRAP_SERVERS,
        "client.id": f"hearth-{settings.HEARTH_SERVICE}",
        "logger": logging.getLogger("kernel.kafka"),
        # Signed in as this deployable's own principal: the broker's ACLs let it write
        # only its own topics and read only what it consumes (kernel.events.acls).
        "security.protocol": settings.KAFKA_SECURITY_PROTOCOL,
        "sasl.mechanism": settings.KAFKA_SASL_MECHANISM,
        "sasl.username": settings.KAFKA_USERNAME,
        "sasl.password": settings.KAFKA_PASSWORD,
    }


def producer_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        **_common(),
        # No loss and no duplicate from the producer's own retries: every in-sync
        # replica acknowledges, and the broker drops a retried batch it already has.
        "acks": "all",
        "enable.idempotence": True,
        # Long enough to ride out a broker restart or a leader election; a batch
        # not delivered by then is retried by the relay after it reconciles.
        "message.timeout.ms": 60_000,
        "linger.ms": 2,
        "compression.type": "lz4",
        **(overrides or {}),
    }


def consumer_config(group_id: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        **_common(),
        "group.id": group_id,
        # Offsets are committed by hand, after the handler's transaction commits.
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        # A new group starts from the first event ever published: that is how a
        # new service reads all prior state.
        "auto.offset.reset": "earliest",
        "partition.assignment.strategy": "cooperative-sticky",
        # A consumer lost with its node gives up its partitions after 10 s, not
        # librdkafka's 45 s: its events wait that long for another member (the
        # brokers' minimum is 6 s; heartbeats every 2 s keep a slow one in).
        "session.timeout.ms": 10_000,
        "heartbeat.interval.ms": 2_000,
        **(overrides or {}),
    }


def admin_config() -> dict[str, Any]:
    return _common()


def read_to_end(topic: str, *, tail: int | None = None, timeout: float = 60) -> Iterator[Message]:
    """Every message of `topic` as it stands now, partition by partition in offset
    order: from the first offset, or only the last `tail` offsets of each partition.

    Reads by assign(), without joining a group, so no offset is ever committed.
    Raises TimeoutError rather than return a partial read.
    """
    # A group of the deployable's own (its ACLs cover hearth.<service>.*), never joined.
    group = f"hearth.{settings.HEARTH_SERVICE}.reader"
    reader = Consumer(consumer_config(group, {"enable.partition.eof": True}))
    try:
        partitions = reader.list_topics(topic, timeout=10).topics[topic].partitions
        assignments = []
        for partition in partitions:
            low, high = reader.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
            if high > low:
                start = low if tail is None else max(low, high - tail)
                assignments.append(TopicPartition(topic, partition, start))
        remaining = {tp.partition for tp in assignments}
        reader.assign(assignments)
        deadline = time.monotonic() + timeout
        while remaining:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{topic}: partitions {sorted(remaining)} not read to the end")
            message = reader.poll(1.0)
            if message is None:
                continue
            if message.error():
                if message.error().code() != KafkaError._PARTITION_EOF:
                    raise KafkaException(message.error())
                remaining.discard(message.partition())
                continue
            yield message
    finally:
        reader.close()
