"""The notifications context's tables: the directory of whom to email, and every
email owed (one row per event, recipient and kind) with how its sending went."""

from django.db import models


class Recipient(models.Model):
    """A user as accounts last described them, built from accounts' events and
    read when an email goes out, so it reaches the address they have then."""

    user_id = models.UUIDField(primary_key=True)
    email = models.EmailField(max_length=254)
    full_name = models.CharField(max_length=150)
    role = models.CharField(max_length=16)
    # When accounts reported this data (the event's occurred_at): older events are ignored.
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>"


class Notification(models.Model):
    class Kind(models.TextChoices):
        WELCOME = "welcome"
        APPLICATION_SUBMITTED = "application_submitted"
        APPLICATION_APPROVED = "application_approved"
        APPLICATION_REJECTED = "application_rejected"
        APPLICATION_CLOSED = "application_closed"
        PASSWORD_RESET = "password_reset"  # noqa: S105 (a kind of email, not a secret)
        PAYMENT_DUE = "payment_due"
        PAYMENT_RECEIPT = "payment_receipt"  # to the renter
        PAYMENT_RECEIVED = "payment_received"  # to the landlord
        PAYMENT_DECLINED = "payment_declined"

    class Status(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        CANCELLED = "cancelled"

    # uuid5 of (event, recipient, kind), never random: a redelivered or replayed
    # event maps to the same row, so it cannot cause a second email.
    id = models.UUIDField(primary_key=True)
    recipient_id = models.UUIDField()
    kind = models.CharField(max_length=32, choices=Kind.choices)
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=200)
    event_occurred_at = models.DateTimeField()
    context = models.JSONField(default=dict)  # what the templates need, taken from the event
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Touched by every attempt and by the sweeper: a pending row untouched for a
    # while has no task left to send it.
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # A user's notifications, newest first (the API's only query).
            models.Index(fields=["recipient_id", "-created_at"], name="notification_recipient"),
            # The sweeper's query; partial, so it stays as small as the backlog.
            models.Index(
                fields=["updated_at"],
                condition=models.Q(status="pending"),
                name="notification_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient_id} ({self.status})"
