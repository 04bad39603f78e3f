"""The analytics context's REST API, served under /api/v1/analytics."""

from django.urls import path

from apps.analytics.api import views

urlpatterns = [
    path("analytics/rents", views.RentsView.as_view(), name="analytics-rents"),
    path("analytics/activity", views.ActivityView.as_view(), name="analytics-activity"),
    path("analytics/funnel", views.FunnelView.as_view(), name="analytics-funnel"),
    path("analytics/time-to-let", views.TimeToLetView.as_view(), name="analytics-time-to-let"),
]
