"""The applications context's REST API, served under /api/v1/applications/."""

from apps.applications.api.views import ApplicationViewSet
from kernel.api.routers import ApiRouter

router = ApiRouter()
router.register("applications", ApplicationViewSet, basename="application")

urlpatterns = router.urls
