from django.contrib import admin

from apps.notifications.models import Notification, Recipient


@admin.register(Recipient)
class RecipientAdmin(admin.ModelAdmin):
    list_display = ["user_id", "full_name", "email", "role", "updated_at"]
    list_filter = ["role"]
    search_fields = ["email", "full_name", "=user_id"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "recipient_id", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["=id", "=recipient_id", "=event_id"]
    ordering = ["-created_at"]
    # A record of what happened, written by the consumer and the worker alone.
    readonly_fields = [field.name for field in Notification._meta.fields]
