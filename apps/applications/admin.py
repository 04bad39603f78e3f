"""Read-only admin pages: every change to these tables must go through the
services (applications) or the consumer (listing views), which publish events
and keep the rules; an edit here would do neither."""

from django.contrib import admin

from apps.applications.models import Application, ListingView
from kernel.admin import ReadOnlyAdmin


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ["id", "listing_title", "renter_name", "status", "submitted_at", "decided_at"]
    list_filter = ["status", "closed_reason"]
    search_fields = ["id", "listing_id", "renter_id", "landlord_id", "renter_name"]
    date_hierarchy = "submitted_at"
    ordering = ["-submitted_at"]


@admin.register(ListingView)
class ListingViewAdmin(ReadOnlyAdmin):
    list_display = ["listing_id", "title", "status", "deleted", "available_from", "updated_at"]
    list_filter = ["status", "deleted"]
    search_fields = ["listing_id", "landlord_id", "title"]
    ordering = ["-updated_at"]
