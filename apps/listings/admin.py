from django.contrib import admin

from apps.listings.models import Listing, Photo
from kernel.admin import ReadOnlyAdmin


@admin.register(Listing)
class ListingAdmin(ReadOnlyAdmin):
    """Read-only: every change goes through the services, which publish its event
    and retire the cached detail; an edit here would do neither."""

    list_display = ("title", "city", "status", "rent_amount", "rent_currency", "published_at")
    list_filter = ("status", "country", "pets_allowed", "bedrooms")
    search_fields = ("title", "city", "postal_code", "street_address")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    exclude = ("search_vector",)


@admin.register(Photo)
class PhotoAdmin(ReadOnlyAdmin):
    """Read-only, as listings are: changes go through photo_services."""

    list_display = ("id", "listing_id", "status", "position", "caption", "updated_at")
    list_filter = ("status",)
    search_fields = ("=listing_id", "=id")
    ordering = ("-updated_at",)
