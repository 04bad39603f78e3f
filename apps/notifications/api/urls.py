"""The notifications context's REST API, served under /api/v1/notifications/."""

from rest_framework.routers import DefaultRouter

router = DefaultRouter()

urlpatterns = router.urls
