"""The listings context's REST API, served under /api/v1/listings."""

from apps.listings.api.views import ListingViewSet
from kernel.api.routers import ApiRouter

router = ApiRouter()
router.register("listings", ListingViewSet, basename="listing")

urlpatterns = router.urls
