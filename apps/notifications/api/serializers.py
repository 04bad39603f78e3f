from rest_framework import serializers

from apps.notifications.models import Notification
from apps.notifications.rendering import render_subject


class NotificationSerializer(serializers.ModelSerializer):
    subject = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "subject", "status", "created_at", "sent_at", "attempts"]
        read_only_fields = fields

    def get_subject(self, notification: Notification) -> str:
        return render_subject(notification)
