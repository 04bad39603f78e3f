"""The kernel's tables, created in every deployable's own schema: the outbox of
events it publishes and the inbox of events it has consumed."""

from django.db import models


class OutboxEvent(models.Model):
    """An event written in the same transaction as the change it describes, and
    published to Kafka by the relay after commit.

    `id` order is the publishing order. For two transactions touching the same
    aggregate it equals commit order only if they serialise on the aggregate (a
    row lock: select_for_update), which is how a context must write an aggregate
    that concurrent requests may change.
    """

    id = models.BigAutoField(primary_key=True)
    event_id = models.UUIDField(unique=True)
    event_type = models.CharField(max_length=200)
    topic = models.CharField(max_length=249)  # Kafka's limit on topic names
    key = models.CharField(max_length=200)  # the aggregate id
    envelope = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "outbox"
        indexes = [
            # The relay's only query: the oldest unpublished rows. A partial index
            # stays as small as the backlog, however long the history grows.
            models.Index(
                fields=["id"],
                condition=models.Q(published_at__isnull=True),
                name="outbox_unpublished",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class InboxEvent(models.Model):
    """Events a consumer group has applied; the unique pair makes a redelivered
    event a no-op, so at-least-once delivery has exactly one effect."""

    consumer_group = models.CharField(max_length=200)
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=200)
    processed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "inbox"
        constraints = [
            models.UniqueConstraint(
                fields=["consumer_group", "event_id"], name="inbox_once_per_group"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.consumer_group}: {self.event_type} {self.event_id}"
