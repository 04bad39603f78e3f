import uuid

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from apps.listings import caching, selectors, services
from apps.listings.api.filters import ListingSearchFilter
from apps.listings.api.serializers import ListingSerializer, attach_images
from kernel import errors
from kernel.api.openapi import refuses
from kernel.auth.permissions import IsLandlord


@extend_schema(tags=["listings"])
class ListingViewSet(viewsets.GenericViewSet):
    """Listings: public search and detail, and the landlord's own drafts and changes.

    Reads are public (AllowAny); every write is the landlord's, on their own
    listings only: another landlord's listing is answered as if it did not exist.
    """

    serializer_class = ListingSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ListingSearchFilter

    def dispatch(self, request, *args, **kwargs):
        # The router matched a UUID in any case; one spelling keeps cache keys unique.
        if "pk" in kwargs:
            kwargs["pk"] = uuid.UUID(kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_permissions(self):
        if self.action in ("list", "retrieve"):
            return [AllowAny()]
        return [IsAuthenticated(), IsLandlord()]

    def get_queryset(self):
        if self.action == "list":
            return selectors.published_listings()
        return selectors.landlord_listings(landlord_id=self.request.user.id)

    @extend_schema(operation_id="listings_search", summary="Search published listings")
    def list(self, request):
        key = None
        if not request.user.is_authenticated:
            key = caching.search_key(
                base_url=request.build_absolute_uri(request.path),
                params=dict(request.query_params.lists()),
            )
            if (cached := caching.cached_search(key)) is not None:
                return Response(cached)
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        attach_images(page)
        response = self.get_paginated_response(self.get_serializer(page, many=True).data)
        if key:
            caching.remember_search(key, response.data)
        return response

    @extend_schema(
        operation_id="listings_create",
        summary="Create a draft listing",
        responses={201: ListingSerializer},
        examples=[
            OpenApiExample(
                "A flat in Lisbon",
                request_only=True,
                value={
                    "title": "Bright two-bedroom near the park",
                    "description": "Quiet street, south-facing balcony.",
                    "street_address": "12 Rose Lane",
                    "city": "Lisbon",
                    "postal_code": "1100-001",
                    "country": "PT",
                    "latitude": 38.7223,
                    "longitude": -9.1393,
                    "monthly_rent": {"amount": "1450.00", "currency": "EUR"},
                    "deposit": {"amount": "2900.00", "currency": "EUR"},
                    "bedrooms": 2,
                    "bathrooms": 1.0,
                    "area_sqm": 74.5,
                    "amenities": ["balcony", "dishwasher"],
                    "pets_allowed": True,
                    # Years ahead: a new listing may not be available from a past date.
                    "available_from": "2031-01-01",
                    "photos": [{"url": "https://img.hearth.example/1.jpg", "caption": "Hall"}],
                },
            )
        ],
    )
    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        listing = services.listing_create(
            landlord_id=request.user.id, data=serializer.validated_data
        )
        return Response(self.get_serializer(listing).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="listings_mine",
        summary="The signed-in landlord's listings, in every status",
        responses=ListingSerializer(many=True),
        filters=False,
    )
    @action(detail=False, methods=["get"])
    def mine(self, request):
        page = self.paginate_queryset(self.get_queryset())
        attach_images(page)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        operation_id="listings_retrieve",
        summary="A listing: published or let to anyone, otherwise to its landlord",
    )
    def retrieve(self, request, pk):
        detail = caching.PublicDetail(pk)
        if (cached := detail.get()) is not None:
            return Response(cached)
        viewer_id = request.user.id if request.user.is_authenticated else None
        listing = selectors.listing_for_viewer(listing_id=pk, viewer_id=viewer_id)
        if listing is None:
            raise errors.NotFound(services.NO_SUCH_LISTING)
        data = self.get_serializer(listing).data
        if listing.is_public:
            detail.set(data)
        return Response(data)

    @extend_schema(operation_id="listings_update", summary="Edit a listing (not once it is let)")
    @refuses(errors.Conflict)
    def partial_update(self, request, pk):
        listing = selectors.landlord_listing(landlord_id=request.user.id, listing_id=pk)
        if listing is None:
            raise errors.NotFound(services.NO_SUCH_LISTING)
        serializer = self.get_serializer(listing, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        listing = services.listing_update(
            listing_id=pk, actor_id=request.user.id, changes=serializer.validated_data
        )
        return Response(self.get_serializer(listing).data)

    @extend_schema(operation_id="listings_delete", summary="Delete a listing")
    def destroy(self, request, pk):
        services.listing_delete(listing_id=pk, actor_id=request.user.id)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="listings_publish",
        summary="Publish a draft or unpublished listing",
        request=None,
    )
    @refuses(errors.Conflict)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk):
        listing = services.listing_publish(listing_id=pk, actor_id=request.user.id)
        return Response(self.get_serializer(listing).data)

    @extend_schema(
        operation_id="listings_unpublish",
        summary="Take a published listing out of search",
        request=None,
    )
    @refuses(errors.Conflict)
    @action(detail=True, methods=["post"])
    def unpublish(self, request, pk):
        listing = services.listing_unpublish(listing_id=pk, actor_id=request.user.id)
        return Response(self.get_serializer(listing).data)
