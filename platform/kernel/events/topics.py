"""Creating and updating topics, idempotently.

Retention: events are kept forever (retention.ms=-1, cleanup.policy=delete), not
compacted. A new service must be able to read *all* prior state as events, and
an analytics service wants every change, not only the latest per aggregate,
which is all compaction would keep. The cost is disk: events are small next to
the 50 TB of primary data, and in production old segments move to tiered
storage (object store) rather than being deleted. docs/events.md has the sums.
"""

import logging
from dataclasses import dataclass

from confluent_kafka import KafkaException
from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewPartitions,
    NewTopic,
)
from django.conf import settings

from kernel.events.kafka import admin_config

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TopicPolicy:
    partitions: int
    replication_factor: int
    min_insync_replicas: int

    @classmethod
    def from_settings(cls) -> "TopicPolicy":
        return cls(
            partitions=settings.KAFKA_TOPIC_PARTITIONS,
            replication_factor=settings.KAFKA_REPLICATION_FACTOR,
            min_insync_replicas=settings.KAFKA_MIN_INSYNC_REPLICAS,
        )

    def configs(self) -> dict[str, str]:
        return {
            "retention.ms": "-1",
            "retention.bytes": "-1",
            "cleanup.policy": "delete",
            "min.insync.replicas": str(self.min_insync_replicas),
            # A replica that missed writes must never become leader: that would
            # silently drop acknowledged events.
            "unclean.leader.election.enable": "false",
        }


def ensure_topics(topics: list[str], policy: TopicPolicy) -> dict[str, str]:
    """Create missing topics, raise partition counts that are too low (never lower
    them: that would break per-key ordering), and set every topic's configuration.
    Returns what was done per topic."""
    if not topics:  # a deployable that publishes nothing, e.g. the web front end
        return {}
    admin = AdminClient(admin_config())
    existing = admin.list_topics(timeout=15).topics
    actions: dict[str, str] = {}

    missing = [topic for topic in topics if topic not in existing]
    if missing:
        futures = admin.create_topics(
            [
                NewTopic(
                    topic,
                    num_partitions=policy.partitions,
                    replication_factor=policy.replication_factor,
                    config=policy.configs(),
                )
                for topic in missing
            ],
            operation_timeout=30,
        )
        for topic, future in futures.items():
            _settle(future, ignore="TOPIC_ALREADY_EXISTS")
            actions[topic] = "created"

    grow = [
        NewPartitions(topic, policy.partitions)
        for topic in topics
        if topic in existing and len(existing[topic].partitions) < policy.partitions
    ]
    for topic, future in admin.create_partitions(grow).items() if grow else []:
        future.result(30)
        actions[topic] = f"partitions raised to {policy.partitions}"

    resources = [
        ConfigResource(
            ConfigResource.Type.TOPIC,
            topic,
            incremental_configs=[
                ConfigEntry(name, value, incremental_operation=AlterConfigOpType.SET)
                for name, value in policy.configs().items()
            ],
        )
        for topic in topics
    ]
    for resource, future in admin.incremental_alter_configs(resources).items():
        future.result(30)
        actions.setdefault(resource.name, "configured")
    return actions


def _settle(future, *, ignore: str) -> None:
    try:
        future.result(30)
    except KafkaException as error:
        if error.args[0].name() != ignore:
            raise
