from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.search import selectors
from apps.search.api.serializers import (
    ListingSearchQuery,
    ListingSearchResultSerializer,
    SuggestionsSerializer,
    SuggestQuery,
)
from kernel.api.openapi import refuses
from kernel.events.consumer import StoreUnavailable


class SearchUnavailable(exceptions.APIException):
    status_code = 503
    default_detail = "Search is unavailable; try again later."
    default_code = "search_unavailable"


@extend_schema(tags=["search"])
class ListingSearchView(APIView):
    """Published listings: free text, listings' filters, a radius or a box, facets."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="search_listings",
        summary="Search published listings, with facets",
        parameters=[ListingSearchQuery(max_window=0)],
        responses=ListingSearchResultSerializer,
    )
    @refuses(SearchUnavailable)
    def get(self, request):
        params = ListingSearchQuery(
            data=request.query_params, max_window=settings.SEARCH_MAX_RESULT_WINDOW
        )
        params.is_valid(raise_exception=True)
        try:
            return Response(selectors.listings_search(params.query()))
        except StoreUnavailable as error:
            raise SearchUnavailable() from error
        except selectors.CursorRefused as error:
            raise exceptions.ValidationError({"search_after": [str(error)]}) from error


@extend_schema(tags=["search"])
class SuggestView(APIView):
    """Titles and cities completing what has been typed."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="search_suggest",
        summary="Complete a title or a city",
        parameters=[SuggestQuery],
        responses=SuggestionsSerializer,
    )
    @refuses(SearchUnavailable)
    def get(self, request):
        params = SuggestQuery(data=request.query_params)
        params.is_valid(raise_exception=True)
        try:
            suggestions = selectors.listing_suggestions(params.validated_data["q"])
        except StoreUnavailable as error:
            raise SearchUnavailable() from error
        return Response({"suggestions": suggestions})
