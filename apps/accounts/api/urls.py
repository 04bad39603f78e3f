"""The accounts context's REST API, served under /api/v1/accounts/."""

from rest_framework.routers import DefaultRouter

router = DefaultRouter()

urlpatterns = router.urls
