from django.contrib import admin

from apps.notifications.models import Notification, Recipient
from kernel.admin import ReadOnlyAdmin


# The directory is a read model of accounts' events, and a notification a record of
# what happened, written by the consumer and the worker alone: neither is edited here.
@admin.register(Recipient)
class RecipientAdmin(ReadOnlyAdmin):
    list_display = ["user_id", "full_name", "email", "role", "updated_at"]
    list_filter = ["role"]
    search_fields = ["email", "full_name", "=user_id"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "recipient_id", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["=id", "=recipient_id", "=event_id"]
    ordering = ["-created_at"]
