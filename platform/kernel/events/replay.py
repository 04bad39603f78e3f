"""Replay: move a consumer group's offsets back, then let its consumers run.

- From the beginning: the group's read model and inbox are emptied, so every
  event is applied again and the read model is rebuilt from scratch.
- From a point in time: the inbox is kept, so events already applied stay
  no-ops and only those missed are applied (after restoring a read model from a
  backup, say).
"""

from datetime import datetime

from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec
from django.db import transaction

from kernel.events.consumer import ConsumerSpec
from kernel.events.kafka import admin_config
from kernel.models import InboxEvent


class GroupStillActive(RuntimeError):
    """Offsets of a group can only move while none of its consumers runs."""


def replay(spec: ConsumerSpec, *, since: datetime | None = None) -> dict[TopicPartition, int]:
    admin = AdminClient(admin_config())
    offsets = _offsets(admin, spec.topics, since)
    _ensure_idle(admin, spec.group_id)
    if since is None:
        with transaction.atomic():
            if spec.reset_read_model is not None:
                spec.reset_read_model()
            InboxEvent.objects.filter(consumer_group=spec.group_id).delete()
    request = ConsumerGroupTopicPartitions(spec.group_id, list(offsets))
    for future in admin.alter_consumer_group_offsets([request]).values():
        future.result(30)
    return {tp: tp.offset for tp in offsets}


def _offsets(
    admin: AdminClient, topics: tuple[str, ...], since: datetime | None
) -> list[TopicPartition]:
    metadata = admin.list_topics(timeout=15).topics
    spec = (
        OffsetSpec.earliest()
        if since is None
        else OffsetSpec.for_timestamp(int(since.timestamp() * 1000))
    )
    request = {
        TopicPartition(topic, partition): spec
        for topic in topics
        for partition in metadata[topic].partitions
    }
    result = admin.list_offsets(request)
    offsets = []
    for tp, future in result.items():
        found = future.result(30).offset
        if found < 0:  # no event at or after `since`: start at the end
            found = admin.list_offsets({tp: OffsetSpec.latest()})[tp].result(30).offset
        offsets.append(TopicPartition(tp.topic, tp.partition, found))
    return offsets


def _ensure_idle(admin: AdminClient, group_id: str) -> None:
    described = admin.describe_consumer_groups([group_id])[group_id].result(30)
    if described.members:
        raise GroupStillActive(
            f"consumer group {group_id} has {len(described.members)} running member(s); "
            "stop its consumers before replaying"
        )
