"""The applications context's REST API, served under /api/v1/applications/."""

from rest_framework.routers import DefaultRouter

router = DefaultRouter()

urlpatterns = router.urls
