"""The payments context's REST API, served under /api/v1/payments/."""

from rest_framework.routers import DefaultRouter

router = DefaultRouter()

urlpatterns = router.urls
