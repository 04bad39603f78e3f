"""What a web process's /metrics reads live from the stores at each scrape, so it
moves while the consumers or the relay are stopped: the readiness checks (as
/readyz), the outbox backlog and the age of its oldest unpublished row, each
consumer group's lag per partition (committed offset against the end of the
partition), the depth of each dead-letter topic, and the Celery queue's depth. A
scrape costs the probes, a count on the outbox's partial index and a few broker
round trips; Kafka or Redis down leaves those series out, never the answer.
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
        yield self._readiness()
        yield from self._outbox()
        yield from self._consumers()
        yield from self._celery()

    @staticmethod
    def _readiness() -> GaugeMetricFamily:
        from kernel.health.checks import readiness_checks, run_checks

        family = GaugeMetricFamily(
            "hearth_ready", "1 when the readiness check (/readyz) passes.", labels=["check"]
        )
        for check, result in run_checks(readiness_checks()).items():
            family.add_metric([check], 1 if result == "ok" else 0)
        return family

    @staticmethod
    def _outbox() -> Iterator[GaugeMetricFamily]:
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
        yield GaugeMetricFamily(
            "hearth_outbox_backlog", "Committed events not yet on Kafka.", value=backlog
        )
        yield GaugeMetricFamily(
            "hearth_outbox_oldest_unpublished_age_seconds",
            "Age of the oldest committed event not yet on Kafka (0 when none waits).",
            value=float(oldest),
        )

    @staticmethod
    def _consumers() -> Iterator[GaugeMetricFamily]:
        lag = GaugeMetricFamily(
            "hearth_consumer_lag",
            "Events on a partition past the group's committed offset.",
            labels=["group", "topic", "partition"],
        )
        dlq = GaugeMetricFamily(
            "hearth_dlq_depth",
            "Events in a consumer group's dead-letter topic.",
            labels=["group", "topic"],
        )
        answered = 1
        try:
            for group, topic, partition, behind in consumer_lags():
                lag.add_metric([group, topic, str(partition)], behind)
            for group, topic, depth in dead_letter_depths():
                dlq.add_metric([group, topic], depth)
        except Exception as error:  # a scrape must answer while Kafka is down
            logger.warning("consumer lag unreadable", extra={"error": repr(error)})
            answered = 0
        yield from (lag, dlq)
        yield GaugeMetricFamily(
            "hearth_kafka_lag_scrape_ok", "1 when Kafka answered this scrape.", value=answered
        )

    @staticmethod
    def _celery() -> Iterator[GaugeMetricFamily]:
        from celery import current_app
        from django.conf import settings

        # The deployable's own app (config.celery) when it runs a worker; Celery's
        # default app otherwise, with no broker configured.
        if not current_app.conf.broker_url:
            return

        queue = settings.CELERY_TASK_DEFAULT_QUEUE
        try:
            # The queue's list, read by the channel's client, which prefixes the key
            # as the ACL requires (kombu's passive queue_declare does not).
            with current_app.connection_for_read() as connection:
                depth = connection.default_channel.client.llen(queue)
        except Exception as error:
            logger.warning("celery queue unreadable", extra={"error": repr(error)})
            return
        family = GaugeMetricFamily(
            "hearth_celery_queue_depth", "Tasks waiting in the queue.", labels=["queue"]
        )
        family.add_metric([queue], depth)
        yield family


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
