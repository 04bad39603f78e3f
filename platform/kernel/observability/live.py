"""What a web process's /metrics reads live from the stores at each scrape, so it
moves while the consumers or the relay are stopped: the outbox backlog and the age
of its oldest unpublished row, each consumer group's lag per partition (committed
offset against the end of the partition), the depth of each dead-letter topic, and
the Celery queue's depth. A scrape costs a count on the outbox's partial index and
a few broker round trips; Kafka or Redis down leaves those series out, never the
answer.
"""

import logging
import os
import threading
from collections.abc import Iterator
from functools import cache

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)


def render_web_metrics() -> bytes:
    """The text a web process answers on /metrics."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return generate_latest(registry) + generate_latest(live_registry())


@cache
def live_registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(LiveCollector())
    return registry


class LiveCollector(Collector):
    """What a scrape reads from the stores rather than from counters."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from django.conf import settings

        service = settings.HEARTH_SERVICE
        yield from self._outbox(service)
        yield from self._consumers(service)
        yield from self._celery(service)

    @staticmethod
    def _outbox(service: str) -> Iterator[GaugeMetricFamily]:
        from django.db import DatabaseError, connection

        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0) "
                    "FROM outbox WHERE published_at IS NULL"
                )
                backlog, oldest = cursor.fetchone()
        except DatabaseError as error:  # the readiness probe reports it; /metrics answers
            logger.warning("outbox unreadable", extra={"error": repr(error)})
            return
        yield _gauge(
            "hearth_outbox_backlog", "Committed events not yet on Kafka.", service, backlog
        )
        yield _gauge(
            "hearth_outbox_oldest_unpublished_age_seconds",
            "Age of the oldest committed event not yet on Kafka (0 when none waits).",
            service,
            float(oldest),
        )

    @staticmethod
    def _consumers(service: str) -> Iterator[GaugeMetricFamily]:
        lag = GaugeMetricFamily(
            "hearth_consumer_lag",
            "Events on a partition past the group's committed offset.",
            labels=["service", "group", "topic", "partition"],
        )
        dlq = GaugeMetricFamily(
            "hearth_dlq_depth",
            "Events in a consumer group's dead-letter topic.",
            labels=["service", "group", "topic"],
        )
        up = GaugeMetricFamily(
            "hearth_kafka_lag_scrape_ok", "1 when Kafka answered this scrape.", labels=["service"]
        )
        try:
            for group, topic, partition, behind in consumer_lags():
                lag.add_metric([service, group, topic, str(partition)], behind)
            for group, topic, depth in dead_letter_depths():
                dlq.add_metric([service, group, topic], depth)
            up.add_metric([service], 1)
        except Exception as error:  # a scrape must answer while Kafka is down
            logger.warning("consumer lag unreadable", extra={"error": repr(error)})
            up.add_metric([service], 0)
        yield from (lag, dlq, up)

    @staticmethod
    def _celery(service: str) -> Iterator[GaugeMetricFamily]:
        from django.conf import settings

        if not getattr(settings, "CELERY_BROKER_URL", ""):
            return
        from celery import current_app

        queue = settings.CELERY_TASK_DEFAULT_QUEUE
        try:
            with current_app.connection_for_read() as connection:
                declared = connection.default_channel.queue_declare(queue=queue, passive=True)
                depth = declared.message_count
        except Exception as error:
            logger.warning("celery queue unreadable", extra={"error": repr(error)})
            return
        family = GaugeMetricFamily(
            "hearth_celery_queue_depth", "Tasks waiting in the queue.", labels=["service", "queue"]
        )
        family.add_metric([service, queue], depth)
        yield family


def _gauge(name: str, documentation: str, service: str, value: float) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=["service"])
    family.add_metric([service], value)
    return family


# -- consumer lag and dead letters, read from Kafka ----------------------------------

_readers: dict[str, object] = {}  # group id -> a Consumer that never joins its group
_readers_lock = threading.Lock()


def _reader(group_id: str):
    from confluent_kafka import Consumer

    from kernel.events.kafka import consumer_config

    with _readers_lock:
        if group_id not in _readers:
            _readers[group_id] = Consumer(consumer_config(group_id))
        return _readers[group_id]


def _partitions(reader, topic: str) -> list:
    from confluent_kafka import TopicPartition

    metadata = reader.list_topics(topic, timeout=5).topics[topic]
    if metadata.error is not None:
        return []
    return [TopicPartition(topic, partition) for partition in sorted(metadata.partitions)]


def consumer_lags() -> Iterator[tuple[str, str, int, int]]:
    """(group, topic, partition, events behind) for each of this deployable's groups.
    A group that never committed on a partition is behind by everything on it."""
    from kernel.events.registry import consumer_specs

    for group_id, spec in consumer_specs().items():
        reader = _reader(group_id)
        for topic in spec.topics:
            partitions = _partitions(reader, topic)
            if not partitions:
                continue
            for committed in reader.committed(partitions, timeout=5):
                low, high = reader.get_watermark_offsets(committed, timeout=5, cached=False)
                position = committed.offset if committed.offset >= 0 else low
                yield group_id, topic, committed.partition, max(high - position, 0)


def dead_letter_depths() -> Iterator[tuple[str, str, int]]:
    """(group, dead-letter topic, events in it) for each of this deployable's groups."""
    from kernel.events.registry import consumer_specs

    for group_id, spec in consumer_specs().items():
        reader = _reader(group_id)
        depth = 0
        for partition in _partitions(reader, spec.dead_letter_topic):
            low, high = reader.get_watermark_offsets(partition, timeout=5, cached=False)
            depth += high - low
        yield group_id, spec.dead_letter_topic, depth
