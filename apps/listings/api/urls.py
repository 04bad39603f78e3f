"""The listings context's REST API, served under /api/v1/listings."""

from django.urls import path

from apps.listings.api.photos import ListingPhotoViewSet
from apps.listings.api.views import ListingViewSet
from kernel.api.routers import ApiRouter

router = ApiRouter()
router.register("listings", ListingViewSet, basename="listing")


def photos(actions: dict[str, str], name: str):
    return ListingPhotoViewSet.as_view(actions, basename="listing-photo", detail=False, name=name)


urlpatterns = [
    *router.urls,
    path(
        "listings/<uuid:listing_id>/photos",
        photos({"get": "list", "post": "create"}, "Photos"),
        name="listing-photos",
    ),
    path(
        "listings/<uuid:listing_id>/photos/uploads",
        photos({"post": "presign"}, "Presigned upload"),
        name="listing-photo-uploads",
    ),
    path(
        "listings/<uuid:listing_id>/photos/order",
        photos({"put": "reorder"}, "Order"),
        name="listing-photo-order",
    ),
    path(
        "listings/<uuid:listing_id>/photos/<uuid:photo_id>",
        photos({"patch": "partial_update", "delete": "destroy"}, "Photo"),
        name="listing-photo",
    ),
    path(
        "listings/<uuid:listing_id>/photos/<uuid:photo_id>/confirm",
        photos({"post": "confirm"}, "Confirm upload"),
        name="listing-photo-confirm",
    ),
]
