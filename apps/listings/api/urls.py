"""The listings context's REST API, served under /api/v1/listings/."""

from rest_framework.routers import DefaultRouter

router = DefaultRouter()

urlpatterns = router.urls
