"""The notifications context's REST API, paths relative to /api/v1/."""

from django.urls import path

from apps.notifications.api.views import NotificationListView

urlpatterns = [
    path("notifications", NotificationListView.as_view(), name="notification-list"),
]
