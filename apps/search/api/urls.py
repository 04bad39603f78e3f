"""The search context's REST API, served under /api/v1/search."""

from django.urls import path

from apps.search.api.views import ListingSearchView, SuggestView

urlpatterns = [
    path("search/listings", ListingSearchView.as_view(), name="search-listings"),
    path("search/suggest", SuggestView.as_view(), name="search-suggest"),
]
